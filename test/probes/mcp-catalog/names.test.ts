import { describe, expect, it } from 'vitest';
import { countNameProblems, describeNameProblems, toolNameProblems } from '../../../src/probes/mcp-catalog/names.js';

// Tool names that clients refuse, as the gateway lists them (with LiteLLM's `{server}-` prefix): over 64 characters
// (OpenAI, Gemini, Bedrock: LiteLLM #12543) or outside the MCP spec's [A-Za-z0-9_.-].

describe('toolNameProblems', () => {
  const at64 = `mcp_fs-${'a'.repeat(57)}`;
  const at65 = `${at64}b`;

  it.each<[string, string, string[]]>([
    ['a plain name', 'mcp_fs-read_text_file', []],
    ['dots and dashes are allowed by the spec', 'my.server-tool-v1.2', []],
    ['exactly 64 characters', at64, []],
    ['65 characters', at65, ['too_long']],
    ['over 128 (the spec limit) too', 'x'.repeat(130), ['too_long']],
    ['a space', 'mcp_fs-read file', ['invalid_chars']],
    ['a slash', 'mcp_fs-read/file', ['invalid_chars']],
    ['a non-ASCII letter', 'mcp_fs-lesen_größe', ['invalid_chars']],
    ['empty', '', ['invalid_chars']],
    ['both', `${at65} x`, ['too_long', 'invalid_chars']],
  ])('%s', (_what, name, problems) => {
    expect(at64).toHaveLength(64);
    expect(toolNameProblems([name])).toEqual(problems.length ? { [name]: problems } : {});
  });

  it('names each tool once, sorted; counts per problem, every problem present', () => {
    const p = toolNameProblems(['ok-tool', 'z y', at65, `${at65} x`]);
    expect(Object.keys(p)).toEqual([at65, `${at65} x`, 'z y']);
    expect(countNameProblems(p)).toEqual({ too_long: 2, invalid_chars: 2 });
    expect(countNameProblems({})).toEqual({ too_long: 0, invalid_chars: 0 });
  });

  it('describeNameProblems: why each is refused, five named at most', () => {
    expect(describeNameProblems({})).toBeUndefined();
    expect(describeNameProblems(toolNameProblems([at65]))).toBe(
      `tool names clients refuse: "${at65}" (65 characters: over 64, which OpenAI, Gemini and Bedrock refuse)`,
    );
    const many = toolNameProblems(['a b', 'c d', 'e f', 'g h', 'i j', 'k l', 'm n']);
    expect(describeNameProblems(many)).toMatch(
      /^tool names clients refuse: "a b" \(characters outside .*"i j" \(.*\), and 2 more$/,
    );
  });
});

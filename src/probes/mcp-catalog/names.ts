// Pure: tool names that clients refuse, as the gateway lists them (with LiteLLM's `{server}-` prefix).

/**
 * `too_long`: over 64 characters, which OpenAI's, Gemini's and Bedrock's function calling refuse (LiteLLM #12543);
 * `invalid_chars`: empty, or a character outside the MCP spec's `[A-Za-z0-9_.-]`.
 */
export const TOOL_NAME_PROBLEMS = ['too_long', 'invalid_chars'] as const;
export type ToolNameProblem = (typeof TOOL_NAME_PROBLEMS)[number];

/** The longest name OpenAI, Gemini and Bedrock take for a function (a tool). */
export const CLIENT_NAME_LIMIT = 64;
/** The MCP spec's characters (2025-11-25: "Tool names SHOULD be between 1 and 128 characters"). */
const SPEC_CHARS = /^[A-Za-z0-9_.-]+$/;

/** Each listed tool whose name some client refuses, and why (sorted by name). */
export function toolNameProblems(names: readonly string[]): Record<string, ToolNameProblem[]> {
  const out: Record<string, ToolNameProblem[]> = {};
  for (const name of [...names].sort()) {
    const problems: ToolNameProblem[] = [];
    if (name.length > CLIENT_NAME_LIMIT) problems.push('too_long');
    if (!SPEC_CHARS.test(name)) problems.push('invalid_chars');
    if (problems.length) out[name] = problems;
  }
  return out;
}

/** How many tools have each problem (every problem, 0 when none). */
export function countNameProblems(problems: Readonly<Record<string, readonly ToolNameProblem[]>>): {
  [P in ToolNameProblem]: number;
} {
  const counts = { too_long: 0, invalid_chars: 0 };
  for (const list of Object.values(problems)) for (const p of list) counts[p]++;
  return counts;
}

/** At most this many tools are named in a reason (the details name them all). */
const NAMED = 5;

/**
 * "tool names clients refuse: mcp_x-…(71 characters: over 64, which OpenAI, Gemini and Bedrock refuse), …", or
 * undefined when there are none.
 */
export function describeNameProblems(
  problems: Readonly<Record<string, readonly ToolNameProblem[]>>,
): string | undefined {
  const names = Object.keys(problems);
  if (names.length === 0) return undefined;
  const one = (name: string): string => {
    const why = problems[name]!.map((p) =>
      p === 'too_long'
        ? `${name.length} characters: over ${CLIENT_NAME_LIMIT}, which OpenAI, Gemini and Bedrock refuse`
        : "characters outside the MCP spec's [A-Za-z0-9_.-]",
    );
    return `${JSON.stringify(name)} (${why.join('; ')})`;
  };
  const more = names.length > NAMED ? `, and ${names.length - NAMED} more` : '';
  return `tool names clients refuse: ${names.slice(0, NAMED).map(one).join(', ')}${more}`;
}

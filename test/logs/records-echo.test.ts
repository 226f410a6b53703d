import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cursor } from '../../src/logs/cursor.js';
import { litellmRules } from '../../src/logs/litellm-rules.js';
import { LogPipeline } from '../../src/logs/pipeline.js';
import { RuleSet } from '../../src/logs/rules.js';
import { REPO } from '../support/agent-proc.js';
import { frame } from '../support/docker-frames.js';

// Once Python's root logger has a handler, LiteLLM writes every record twice (its own format, then
// `LEVEL:logger:message`). In 1.77 both land on stderr, one after the other; in 1.10x a
// `LiteLLM Proxy.stdout` warning goes to stdout and its repeat to stderr, so Docker may deliver
// either first. The `*.late.*` fixtures are real requests made after the repeats started: each
// must count once per category, whichever stream is read first.

const FIXTURES = join(REPO, 'test/fixtures/litellm');

type Order = 'stdout first' | 'stderr first' | 'interleaved';

function matches(dir: string, name: string, order: Order): string[] {
  const read = (s: string): string[] => {
    const f = join(FIXTURES, dir, `${name}.${s}.txt`);
    return existsSync(f)
      ? readFileSync(f, 'utf8')
          .split(/(?<=\n)/)
          .filter(Boolean)
      : [];
  };
  const out = read('stdout');
  const err = read('stderr');
  // Timestamps as Docker gives them: per stream in order, both streams within the same millisecond.
  const stamp = (i: number): string => `2026-11-24T10:00:00.000${String(i).padStart(6, '0')}Z`;
  const o = out.map((l, i) => frame(1, `${stamp(2 * i)} ${l}`));
  const e = err.map((l, i) => frame(2, `${stamp(2 * i + 1)} ${l}`));
  let chunks: Buffer[];
  if (order === 'stdout first') chunks = [...o, ...e];
  else if (order === 'stderr first') chunks = [...e, ...o];
  else {
    chunks = [];
    for (let i = 0; i < Math.max(o.length, e.length); i++)
      chunks.push(...(e[i] ? [e[i]!] : []), ...(o[i] ? [o[i]!] : []));
  }
  const got: string[] = [];
  const p = new LogPipeline(false, new RuleSet(litellmRules()), new Cursor({ id: 'c' }), {
    line: () => undefined,
    match: (m) => got.push(`${m.category}/${m.kind}`),
  });
  for (const c of chunks) p.push(c);
  p.end();
  return got.sort();
}

const dirs = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((d) => /^\d/.test(d)) : [];

describe('root-logger repeats count once', () => {
  const late = ['mcp_no_key', 'mcp_no_bearer', 'rest_no_key', 'v1_no_key', 'mcp_wrong_key', 'rest_wrong_key'];
  for (const dir of dirs) {
    for (const name of late) {
      if (!existsSync(join(FIXTURES, dir, `${name}.late.stderr.txt`))) continue;
      it.each(['stdout first', 'stderr first', 'interleaved'] as const)(`${dir} ${name}.late, %s`, (order) => {
        const auth = matches(dir, `${name}.late`, order).filter((m) => m.startsWith('auth/'));
        expect(auth).toHaveLength(1);
        // and the same as the request before the repeats started
        expect(auth).toEqual(matches(dir, name, 'stdout first').filter((m) => m.startsWith('auth/')));
      });
    }
  }

  it('two identical failures, only one of them repeated, count twice', () => {
    const rec =
      '10:00:00 - LiteLLM Proxy:ERROR: auth_exception_handler.py:79 - litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - No api key passed in.';
    const echo =
      'ERROR:LiteLLM Proxy:litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - No api key passed in.';
    const got: string[] = [];
    const p = new LogPipeline(false, new RuleSet(litellmRules()), new Cursor({ id: 'c' }), {
      line: () => undefined,
      match: (m) => got.push(m.kind),
    });
    let i = 0;
    for (const l of [
      rec,
      'Requester IP Address:1.1.1.1',
      echo,
      'Requester IP Address:1.1.1.1',
      rec,
      'Requester IP Address:2.2.2.2',
    ]) {
      p.push(frame(2, `2026-11-24T10:00:00.00000000${i++}Z ${l}\n`));
    }
    p.end();
    expect(got).toEqual(['missing_key', 'missing_key']);
  });
});

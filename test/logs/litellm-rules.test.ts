import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerRules, litellmRules } from '../../src/logs/litellm-rules.js';
import type { LogRecord } from '../../src/logs/records.js';
import { RuleSet } from '../../src/logs/rules.js';
import { asFrames, LITELLM_FIXTURES as FIXTURES, runPipeline } from '../support/log-pipeline.js';
import { recordWith } from '../support/log-records.js';

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

describe('the litellm rule set on real LiteLLM output', () => {
  // Each fixture is what a real LiteLLM wrote for one request (test/fixtures/litellm, captured by
  // capture.ts); fed as Docker would deliver it: stdout and stderr frames with timestamps.
  function matchesOf(dir: string, name: string): string[] {
    const chunks: Buffer[] = [];
    for (const [file, s] of [
      [`${name}.stdout.txt`, 1],
      [`${name}.stderr.txt`, 2],
    ] as const) {
      try {
        chunks.push(asFrames(readFileSync(join(FIXTURES, dir, file), 'utf8'), s));
      } catch {
        // a fixture may have one stream only
      }
    }
    return runPipeline(chunks)
      .matches.map((m) => `${m.category}/${m.kind}`)
      .sort();
  }

  const versions = readdirSync(FIXTURES).filter((d) => /^\d/.test(d));
  it('has fixtures of two versions, plain and JSON', () => {
    expect(versions.length).toBeGreaterThanOrEqual(4);
  });

  // Auth and MCP kinds per request; HTTP counts are checked against the fixture's own access lines.
  const expected: Record<string, string[]> = {
    // One failed request counts once per category, however many lines (and repeats) it spans.
    mcp_no_bearer: ['auth/malformed_key'],
    v1_no_key: ['auth/missing_key'],
    v1_no_bearer: ['auth/malformed_key'],
    mcp_ok_fs: [],
    mcp_ok_both: [],
  };
  for (const dir of versions) {
    describe(dir, () => {
      for (const [name, want] of Object.entries(expected)) {
        it(name, () => {
          expect(matchesOf(dir, name).filter((m) => !m.startsWith('http/'))).toEqual(want);
        });
      }
      it('mcp_wrong_key: one auth match (no_db, or auth_other where LiteLLM logs an empty message)', () => {
        const auth = matchesOf(dir, 'mcp_wrong_key').filter((m) => m.startsWith('auth/'));
        expect(auth).toHaveLength(1);
        expect(['auth/no_db', 'auth/auth_other']).toContain(auth[0]);
      });
      it('an auth failure on /mcp is not also an MCP error', () => {
        for (const name of ['mcp_no_key', 'mcp_no_bearer', 'mcp_wrong_key'])
          expect(matchesOf(dir, name).filter((m) => m.startsWith('mcp/'))).toEqual([]);
      });
      it('a dead upstream server is an MCP error', () => {
        const got = matchesOf(dir, 'mcp_dead_upstream').filter((m) => m.startsWith('mcp/'));
        expect(got.length).toBeGreaterThanOrEqual(1);
        // 1.108+ answers a call to the dead server's tool as an unknown tool (tool_not_found, no upstream's failure).
        expect(got.filter((m) => m !== 'mcp/tool_not_found').length).toBeGreaterThanOrEqual(1);
        expect(
          got.filter(
            (m) => !/^mcp\/(upstream_list_failed|upstream_call_failed|request_failed|tool_not_found)$/.test(m),
          ),
        ).toEqual([]);
      });
      it('every 401, 403, 429 and 5xx access line counts once in http', () => {
        for (const name of ['mcp_no_key', 'mcp_wrong_key', 'v1_no_key', 'v1_no_bearer', 'mcp_ok_fs']) {
          const text = ['stdout', 'stderr'].map((s) => readOrEmpty(join(FIXTURES, dir, `${name}.${s}.txt`))).join('\n');
          const statuses = [...text.matchAll(/HTTP\/1\.1\\?" (\d{3})/g)]
            .map((m) => Number(m[1]))
            .filter((n) => n === 401 || n === 403 || n === 429 || n >= 500);
          expect(
            matchesOf(dir, name).filter((m) => m.startsWith('http/')),
            name,
          ).toEqual(statuses.map((n) => `http/${n}`).sort());
        }
      });
    });
  }

  it('a call to a tool the gateway does not know is tool_not_found, not an upstream failure (1.109.1)', () => {
    for (const dir of ['1.109.1', '1.109.1-json'])
      expect(
        matchesOf(dir, 'mcp_unknown_tool').filter((m) => m.startsWith('mcp/')),
        dir,
      ).toEqual(['mcp/tool_not_found']);
  });

  it('names the deprecated auth header', () => {
    expect(matchesOf('1.77.1', 'mcp_deprecated_header').filter((m) => m.startsWith('mcp/'))).toContain(
      'mcp/deprecated_auth_header',
    );
  });
});

describe('the litellm rule set', () => {
  const auth = (msg: string): string | undefined => {
    const r = recordWith({ message: `litellm.proxy.proxy_server.user_api_key_auth(): Exception occured - ${msg}` });
    return new RuleSet(litellmRules()).atRequester(r, [])[0]?.kind;
  };
  it.each([
    ['No api key passed in.', 'missing_key'],
    ['Malformed API Key passed in. Ensure Key has `Bearer ` prefix. Passed in: sk-1234', 'malformed_key'],
    ["LiteLLM Virtual Key expected. Received=abc, expected to start with 'sk-'.", 'malformed_key'],
    [
      'Authentication Error, Invalid proxy server token passed. Received API Key = sk-…, Key Hash (Token) =x. Unable to find token in cache or `LiteLLM_VerificationTokenTable`',
      'invalid_key',
    ],
    ['Authentication Error - Expired Key. Key Expiry time 2025 and current time 2026', 'expired_key'],
    ["Key is blocked. Update via `/key/unblock` if you're an admin.", 'blocked_key'],
    ['No connected db.', 'no_db'],
    ['Tried to access route=/key/generate, which is only for MASTER KEY', 'admin_only_route'],
    ['Something else entirely', 'auth_other'],
    ['', 'auth_other'],
  ])('auth: %s → %s', (msg, kind) => expect(auth(msg)).toBe(kind));

  it.each([
    ['Error listing tools from mcp_pg: boom', 'upstream_list_failed', 'mcp_pg'],
    ['Timeout while listing tools from mcp_pg', 'upstream_list_failed', 'mcp_pg'],
    ['Connection error while listing tools from mcp_pg: refused', 'upstream_list_failed', 'mcp_pg'],
    [
      "Error getting tools from server mcp_dead: Listing tools from MCP server 'mcp_dead' failed",
      'upstream_list_failed',
      'mcp_dead',
    ],
    ['MCP client list_tools failed: x', 'upstream_list_failed', undefined],
    ['Error in list_tools endpoint: x', 'upstream_list_failed', undefined],
    ['MCP mcp_server_tool_call - error: x', 'upstream_call_failed', undefined],
    ['Client operation failed for mcp_pg: x', 'upstream_call_failed', 'mcp_pg'],
    [
      "The 'x-mcp-auth' header is deprecated. Please use server-specific auth headers in the format 'x-mcp-{server_alias}-{header_name}' instead.",
      'deprecated_auth_header',
      undefined,
    ],
  ])('mcp: %s', (message, kind, server) => {
    const m = new RuleSet(litellmRules()).atStart(recordWith({ message, level: 'WARNING', logger: 'LiteLLM' }));
    expect(m).toEqual([{ category: 'mcp', kind, rule: expect.any(String), ...(server && { server }) }]);
  });

  it.each([
    ['HTTPException in MCP tool call: 403: User not allowed to call this tool.', 'auth', 'tool_not_allowed'],
    [
      'HTTPException in MCP tool call: 429: Rate limit exceeded for mcp_server: fe466d795e60b9ed7075baf10c6165b9. ' +
        'Limit type: requests. Current limit: 1, Remaining: 0. Limit resets at: 2026-12-05 07:20:39 UTC',
      'mcp',
      'rate_limited',
    ],
    ['HTTPException in MCP tool call: 400: Invalid arguments', 'mcp', 'tool_call_refused'],
  ])("a tool call the gateway refused itself: '%s' is %s/%s", (message, category, kind) => {
    const m = new RuleSet(litellmRules()).atStart(recordWith({ message, level: 'ERROR', logger: 'LiteLLM' }));
    expect(m).toEqual([{ category, kind, rule: expect.any(String) }]);
  });

  it('Error handling MCP request: an MCP error unless an auth failure caused it', () => {
    const rs = new RuleSet(litellmRules());
    expect(
      rs.atEnd(
        recordWith({
          message: 'Error handling MCP request: boom',
          text: 'Error handling MCP request: boom\nRuntimeError: x',
        }),
        [],
      )[0]?.kind,
    ).toBe('request_failed');
    expect(
      rs.atEnd(
        recordWith({
          message: 'Error handling MCP request: ',
          text: 'Error handling MCP request: \nlitellm.proxy._types.ProxyException',
        }),
        [],
      ),
    ).toEqual([]);
  });

  it('http: 401, 403, 429 and 5xx access lines, nothing else', () => {
    const rs = new RuleSet(litellmRules());
    const kinds = [200, 202, 307, 400, 401, 403, 404, 429, 500, 503].map(
      (status) => rs.atStart(recordWith({ kind: 'access', http: { method: 'POST', path: '/mcp/', status } }))[0]?.kind,
    );
    expect(kinds).toEqual([undefined, undefined, undefined, undefined, '401', '403', undefined, '429', '500', '503']);
  });
});

describe('containerRules', () => {
  const access = (status: number): LogRecord => ({
    stream: 'stdout',
    kind: 'access',
    ts: '',
    message: '',
    text: `INFO:     1.2.3.4:5 - "GET / HTTP/1.1" ${status} x`,
    lines: 1,
    http: { method: 'GET', path: '/', status },
  });
  const teapot = { name: 'teapot', category: 'http' as const, kind: 'teapot', regex: '" 418 ' };

  it.each([
    ['the built-in set', { rules: ['litellm' as const], extraRules: [] }, 401, ['401']],
    ['no set at all', { rules: [], extraRules: [] }, 401, []],
    ['an extra rule only', { rules: [], extraRules: [teapot] }, 418, ['teapot']],
    ['an extra rule before the built-in set', { rules: ['litellm' as const], extraRules: [teapot] }, 418, ['teapot']],
    [
      'the built-in set where the extra rule does not match',
      { rules: ['litellm' as const], extraRules: [teapot] },
      500,
      ['500'],
    ],
  ])('%s', (_name, config, status, kinds) => {
    expect(
      containerRules(config)
        .atStart(access(status))
        .map((m) => m.kind),
    ).toEqual(kinds);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { formatResult } from '../../src/cli.js';
import type { Target } from '../../src/config/parse.js';
import { canonicalJson, diffCatalogs, snapshotCatalog, toolsPerServer } from '../../src/probes/catalog.js';
import { checkCallResult, resultText } from '../../src/probes/mcp-call.js';
import { sessionHeaders } from '../../src/probes/mcp-client.js';
import { describeHttpRejection, isAuthRejection, type HttpRejection } from '../../src/probes/mcp-errors.js';
import { createPhaseClock } from '../../src/probes/phases.js';
import type { ProbeContext, ProbeResult } from '../../src/probes/types.js';
import { Redactor } from '../../src/util/redact.js';

// Pure parts of the MCP probes: catalog fingerprint and diff, per-server counts, tool result
// checks, HTTP rejections (with the bodies real LiteLLM 1.77.1 and 1.109.1 sent, captured in
// test/fixtures/litellm), the headers a session sends, and the CLI's rendering of MCP results.

describe('catalog fingerprint', () => {
  const schema = { type: 'object', properties: { path: { type: 'string' }, depth: { type: 'number', default: 1 } }, required: ['path'] };
  const reordered = { required: ['path'], properties: { depth: { default: 1, type: 'number' }, path: { type: 'string' } }, type: 'object' };

  it('canonical JSON sorts keys at every level and keeps array order', () => {
    expect(canonicalJson(reordered)).toBe(canonicalJson(schema));
    expect(canonicalJson({ b: [2, 1], a: { d: 1, c: undefined } })).toBe('{"a":{"d":1},"b":[2,1]}');
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('is stable under key order and tool order, and changes with a name or a schema', () => {
    const a = snapshotCatalog([{ name: 'fs-read', inputSchema: schema }, { name: 'fs-list' }]);
    const b = snapshotCatalog([{ name: 'fs-list' }, { name: 'fs-read', inputSchema: reordered }]);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(snapshotCatalog([{ name: 'fs-read', inputSchema: schema }, { name: 'fs-ls' }]).fingerprint).not.toBe(a.fingerprint);
    expect(snapshotCatalog([{ name: 'fs-read', inputSchema: { ...schema, required: [] } }, { name: 'fs-list' }]).fingerprint).not.toBe(a.fingerprint);
  });

  it('the first catalog is no change; then added, removed and changed schemas are named, sorted', () => {
    const before = snapshotCatalog([{ name: 'x-a' }, { name: 'x-b', inputSchema: schema }, { name: 'x-c' }]);
    expect(diffCatalogs(undefined, before)).toEqual({ changed: false, added: [], removed: [], changedSchemas: [] });
    expect(diffCatalogs(before, snapshotCatalog([{ name: 'x-c' }, { name: 'x-b', inputSchema: reordered }, { name: 'x-a' }])).changed).toBe(false);
    const after = snapshotCatalog([{ name: 'x-b', inputSchema: { type: 'object' } }, { name: 'x-c' }, { name: 'x-z' }, { name: 'x-d' }]);
    expect(diffCatalogs(before, after)).toEqual({ changed: true, added: ['x-d', 'x-z'], removed: ['x-a'], changedSchemas: ['x-b'] });
  });
});

describe('toolsPerServer', () => {
  it('counts by {server}- prefix; the longest requested alias wins; requested servers without tools count 0', () => {
    const names = ['mcp_fs-read_file', 'mcp_fs-write_file', 'my-db-query', 'my-db-list', 'my-ping', 'plain'];
    expect(toolsPerServer(names, ['mcp_fs', 'my-db', 'mcp_gone'])).toEqual({ mcp_fs: 2, 'my-db': 2, mcp_gone: 0, my: 1, '(none)': 1 });
    expect(toolsPerServer(names, [])).toEqual({ mcp_fs: 2, my: 3, '(none)': 1 });
  });
});

describe('checkCallResult', () => {
  const text = (t: string, isError?: boolean) => ({ content: [{ type: 'text', text: t }], ...(isError !== undefined && { isError }) });
  const expect0 = { isError: false };

  it('ok, with contains and matches on the text content', () => {
    expect(checkCallResult('e-echo', { isError: false, contains: 'hi', matches: '^Echo: ' }, text('Echo: hi', false))).toMatchObject({ outcome: 'ok', reason: 'e-echo returned Echo: hi' });
    expect(checkCallResult('e-echo', { isError: false, contains: 'bye' }, text('Echo: hi'))).toMatchObject({ outcome: 'expectation_failed', reason: 'e-echo result does not contain "bye": got "Echo: hi"' });
  });

  it('isError is tool_error with the tool\'s message; expected errors pass; success when an error was expected fails', () => {
    expect(checkCallResult('fs-read', expect0, text('ENOENT: no such file', true))).toMatchObject({ outcome: 'tool_error', reason: 'fs-read failed: ENOENT: no such file' });
    expect(checkCallResult('fs-read', { isError: true, contains: 'ENOENT' }, text('ENOENT: no such file', true)).outcome).toBe('ok');
    expect(checkCallResult('fs-read', { isError: true }, text('fine')).outcome).toBe('expectation_failed');
  });

  it('LiteLLM 1.77 wraps an upstream JSON-RPC error in a result with isError: false: still a tool_error', () => {
    // Captured from 1.77.1: tools/call of an unknown tool.
    const r = checkCallResult('mcp_fs-nope', expect0, text('MCP error -32602: Tool nope not found', false));
    expect(r).toMatchObject({ outcome: 'tool_error', reason: 'mcp_fs-nope failed: MCP error -32602: Tool nope not found (reported by the gateway with isError: false)' });
    // Captured from 1.77.1: tools/call of a tool of an upstream that exits at start.
    expect(checkCallResult('mcp_broken-x', expect0, text('MCP client session is not initialized', false)).outcome).toBe('tool_error');
    // 1.77.1 also answers "Access denied" with isError: false; only an expectation catches that.
    expect(checkCallResult('mcp_fs-read', expect0, text('Access denied - path outside allowed directories', false)).outcome).toBe('ok');
  });

  it('text is the text content, else structured content as JSON', () => {
    expect(resultText({ content: [{ type: 'image' }, { type: 'text', text: 'a' }, { type: 'text', text: 'b' }] })).toBe('a\nb');
    expect(resultText({ content: [], structuredContent: { n: 1 } })).toBe('{"n":1}');
  });
});

const target = (over: Partial<Target> = {}): Target =>
  ({ name: 'litellm-lan', url: 'http://gw:4000', apiKey: 'sk-unit-0123456789abcdef', mcpPath: '/mcp/', transport: 'streamable-http', headers: {}, tls: { insecureSkipVerify: false }, ...over }) as Target;

/** Real answers of LiteLLM to POST /mcp/ (initialize), from test/fixtures/litellm/<version>/responses.json. */
function captured(version: string, name: string): HttpRejection {
  const all = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/litellm', version, 'responses.json'), 'utf8')) as Record<string, Array<{ status: number; body: string; headers: Record<string, string> }>>;
  const r = all[name]?.[0];
  if (!r) throw new Error(`fixture ${version}/${name} missing`);
  return { status: r.status, body: r.body, ...(r.headers.location && { location: r.headers.location }) };
}

describe('HTTP rejections of MCP requests (real LiteLLM answers)', () => {
  const ctx = { target: target() };

  it.each([
    ['1.77.1', 'mcp_no_key'],
    ['1.77.1', 'mcp_no_bearer'],
    ['1.77.1', 'mcp_wrong_key'],
    ['1.77.1', 'mcp_empty_bearer'],
    ['1.109.1', 'mcp_no_key'],
    ['1.109.1', 'mcp_no_bearer'],
    ['1.109.1', 'mcp_wrong_key'],
    ['1.109.1', 'mcp_empty_bearer'],
  ])('%s %s counts as rejected, and as auth_rejected for a probe', (version, name) => {
    const r = captured(version, name);
    expect(isAuthRejection(r)).toBe(true);
    expect(describeHttpRejection(r, ctx).outcome).toBe('auth_rejected');
  });

  it('1.77.1: the detail-less 500 is auth_rejected, with a hint that follows what was sent', () => {
    const r = captured('1.77.1', 'mcp_wrong_key');
    expect(describeHttpRejection({ ...r, auth: 'bearer' }, ctx).reason).toBe(
      '500 Internal Server Error from litellm-lan — "MCP request failed" without details, which is how LiteLLM 1.77–1.85 refuses a key: check apiKey (is it a key this gateway knows?) and LiteLLM\'s log',
    );
    expect(describeHttpRejection({ ...r, auth: 'no_scheme' }, ctx).reason).toMatch(/: key sent without "Bearer " prefix\?$/);
    expect(describeHttpRejection({ ...r, auth: 'none' }, { target: target({ apiKey: undefined }) }).reason).toMatch(/: no key sent: set apiKey \(or apiKeyFile\) on the target$/);
    // With a message in details it is a real failure, not auth.
    expect(describeHttpRejection({ status: 500, body: '{"error":"MCP request failed","details":"boom"}' }, ctx).outcome).toBe('http_error');
  });

  it('1.109.1: 401 names what was sent; "No connected db." says why; an unknown server says which', () => {
    expect(describeHttpRejection({ ...captured('1.109.1', 'mcp_no_bearer'), auth: 'no_scheme' }, ctx).reason).toBe(
      '401 Unauthorized from litellm-lan — key sent without "Bearer " prefix?: {"detail":{"error":"authentication_required","message":"Authenticate with the gateway to use the MCP endpoint."}}',
    );
    expect(describeHttpRejection({ ...captured('1.109.1', 'mcp_no_key'), auth: 'bearer' }, ctx).reason).toMatch(/^401 Unauthorized from litellm-lan — the gateway refused the key: check apiKey/);
    expect(describeHttpRejection(captured('1.109.1', 'mcp_wrong_key'), ctx).reason).toBe(
      '400 Bad Request from litellm-lan — "No connected db.": LiteLLM could not check the key (it is not the master key, and the gateway has no database)',
    );
    expect(describeHttpRejection(captured('1.109.1', 'mcp_unknown_server'), ctx)).toMatchObject({
      outcome: 'auth_rejected',
      reason: expect.stringMatching(/^403 Forbidden from litellm-lan — the key may not use MCP server mcp_nope: is the name in servers right/),
    });
  });

  it('1.77.1: /mcp without the slash is a 307 whose reason names the mcpPath to use', () => {
    const r = captured('1.77.1', 'mcp_no_slash');
    expect(isAuthRejection(r)).toBe(false);
    const d = describeHttpRejection(r, { target: target({ mcpPath: '/mcp', url: r.location!.replace(/\/mcp\/$/, '') }) });
    expect(d).toEqual({ outcome: 'http_error', reason: `307 Temporary Redirect from litellm-lan: redirect to ${r.location} — use mcpPath /mcp/` });
  });

  it('other answers are http_error; 400 without an auth text is no rejection', () => {
    expect(isAuthRejection({ status: 400, body: '{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}' })).toBe(false);
    expect(isAuthRejection({ status: 404, body: '' })).toBe(false);
    expect(describeHttpRejection(captured('1.109.1', 'mcp_accept_json_only'), ctx).outcome).toBe('http_error');
    expect(describeHttpRejection({ status: 502, body: 'Bad Gateway' }, ctx)).toEqual({ outcome: 'http_error', reason: '502 Bad Gateway from litellm-lan: Bad Gateway' });
  });
});

describe('sessionHeaders', () => {
  const ctx = (t: Target): ProbeContext =>
    ({ target: t, logger: pino({ level: 'silent' }), redactor: new Redactor(), phases: createPhaseClock(), step: () => undefined }) as unknown as ProbeContext;

  it('target headers, then the probe\'s (case-insensitively), x-mcp-servers joined, Bearer <key>', () => {
    const h = sessionHeaders(ctx(target({ headers: { 'X-Team': 'a', 'X-Env': 'prod' } })), { servers: ['mcp_fs', 'mcp_db'], headers: { 'x-team': 'b' } });
    expect(h).toEqual({ 'user-agent': expect.stringMatching(/^mcpwatch\//), 'x-team': 'b', 'x-env': 'prod', 'x-mcp-servers': 'mcp_fs,mcp_db', authorization: 'Bearer sk-unit-0123456789abcdef' });
  });

  it('no x-mcp-servers without servers; a key with its prefix is sent as is', () => {
    const h = sessionHeaders(ctx(target({ apiKey: 'Bearer sk-unit-0123456789abcdef' })), { servers: [], headers: {} });
    expect(h).not.toHaveProperty('x-mcp-servers');
    expect(h.authorization).toBe('Bearer sk-unit-0123456789abcdef');
  });

  it('the guard\'s "no key" carries no credential, also not one configured as an extra header', () => {
    const t = target({ headers: { 'x-litellm-api-key': 'Bearer sk-in-a-header-0000', Authorization: 'Bearer sk-x', 'x-team': 'a' } });
    expect(sessionHeaders(ctx(t), { servers: [], headers: { 'API-Key': 'sk-y' }, auth: { kind: 'none' } })).toEqual({ 'user-agent': expect.any(String), 'x-team': 'a' });
    expect(sessionHeaders(ctx(t), { servers: [], headers: {}, auth: { kind: 'raw', value: 'sk-raw' } })).toEqual({ 'user-agent': expect.any(String), 'x-team': 'a', authorization: 'sk-raw' });
  });
});

describe('formatResult for MCP results', () => {
  const base = { target: 'lan', success: false, trigger: 'cli', startedAt: 0, durationMs: 123 } as const;

  it('auth_guard: one line per check; later requests show only the headers that differ', () => {
    const r: ProbeResult = {
      ...base,
      probe: 'guard',
      type: 'auth_guard',
      outcome: 'auth_not_enforced',
      reason: 'lan (/mcp/) accepted MCP requests with a wrong key (check wrong_key): anyone who reaches the gateway can use its tools',
      phases: { connect: 1, initialize: 20 },
      steps: [
        { t: 1, msg: '[no_key] POST http://gw/mcp/  initialize', data: { headers: { accept: 'application/json, text/event-stream', 'user-agent': 'mcpwatch/0', 'x-mcp-servers': 'mcp_fs' } } },
        { t: 5, msg: '[no_key] ← 401 Unauthorized (application/json)  initialize' },
        { t: 6, msg: '[wrong_key] POST http://gw/mcp/  initialize', data: { headers: { accept: 'application/json, text/event-stream', 'user-agent': 'mcpwatch/0', 'x-mcp-servers': 'mcp_fs', authorization: 'Bearer sk-…beef' } } },
      ],
      details: {
        authChecks: {
          no_key: { enforced: true, status: 401, reason: 'rejected: 401 Unauthorized' },
          wrong_key: { enforced: false, reason: 'an MCP session opened with a wrong key' },
          valid_key: { accepted: true, reason: 'the real key opened a session' },
        },
      },
    };
    expect(formatResult(r, 'http://gw')).toBe(
      [
        'probe guard (auth_guard) → target lan http://gw',
        '       1ms  [no_key] POST http://gw/mcp/  initialize',
        '              accept: application/json, text/event-stream',
        '              user-agent: mcpwatch/0',
        '              x-mcp-servers: mcp_fs',
        '       5ms  [no_key] ← 401 Unauthorized (application/json)  initialize',
        '       6ms  [wrong_key] POST http://gw/mcp/  initialize',
        '              (headers as above, but:)',
        '              authorization: Bearer sk-…beef',
        'phases:   connect 1ms, initialize 20ms',
        'duration: 123ms',
        'result:   FAILED auth_not_enforced: lan (/mcp/) accepted MCP requests with a wrong key (check wrong_key): anyone who reaches the gateway can use its tools',
        'checks:',
        '  no_key            rejected, as it must be: rejected: 401 Unauthorized',
        '  wrong_key         NOT REJECTED: an MCP session opened with a wrong key',
        '  valid_key         accepted, as it must be: the real key opened a session',
        '',
      ].join('\n'),
    );
  });

  it('mcp_catalog: counts, fingerprint, what changed, expected tools, tool names', () => {
    const r: ProbeResult = {
      ...base,
      success: true,
      probe: 'cat',
      type: 'mcp_catalog',
      outcome: 'ok',
      reason: '3 tools (a: 2, b: 1); catalog changed (+1 -1 ~0)',
      phases: { initialize: 10, list_tools: 30 },
      steps: [],
      details: {
        catalog: { tools: 3, toolsPerServer: { a: 2, b: 1 }, fingerprint: '0123456789abcdef', changed: true, added: ['b-new'], removed: ['b-old'], changedSchemas: [] },
        expectedTools: { 'a-x': true, 'a-y': false },
        toolNames: ['a-x', 'a-z', 'b-new'],
      },
    };
    expect(formatResult(r, 'http://gw').split('\n').slice(4)).toEqual([
      'catalog:  3 tools (a: 2, b: 1), fingerprint 0123456789abcdef',
      'changed:  since the previous run of this probe',
      '  added:   b-new',
      '  removed: b-old',
      'expected: a-x present, a-y MISSING',
      'tools:    a-x, a-z, b-new',
      '',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { formatResult } from '../../src/cli/format.js';
import { format } from '../../src/probes/mcp-catalog/format.js';
import type { ProbeResult } from '../../src/probes/table.js';
import { CHANGED_CATALOG } from '../support/catalog-details.js';

describe('formatResult for MCP results', () => {
  const base = { target: 'lan', success: false, trigger: 'cli', startedAt: 0, durationMs: 123 } as const;
  /** A result: no phases or steps unless `more` has them. */
  const result = (more: Partial<ProbeResult>): ProbeResult =>
    ({ ...base, phases: {}, steps: [], ...more }) as ProbeResult;

  it('auth_guard: one line per check; later requests show only the headers that differ', () => {
    const r = result({
      probe: 'guard',
      type: 'auth_guard',
      outcome: 'auth_not_enforced',
      reason:
        'lan (/mcp/) accepted MCP requests with a wrong key (check wrong_key): anyone who reaches the gateway can use its tools',
      phases: { connect: 1, initialize: 20 },
      steps: [
        {
          t: 1,
          msg: '[no_key] POST http://gw/mcp/  initialize',
          data: {
            headers: {
              accept: 'application/json, text/event-stream',
              'user-agent': 'mcpwatch/0',
              'x-mcp-servers': 'mcp_fs',
            },
          },
        },
        { t: 5, msg: '[no_key] ← 401 Unauthorized (application/json)  initialize' },
        {
          t: 6,
          msg: '[wrong_key] POST http://gw/mcp/  initialize',
          data: {
            headers: {
              accept: 'application/json, text/event-stream',
              'user-agent': 'mcpwatch/0',
              'x-mcp-servers': 'mcp_fs',
              authorization: 'Bearer sk-…beef',
            },
          },
        },
      ],
      details: {
        authChecks: {
          no_key: { enforced: true, status: 401, reason: 'rejected: 401 Unauthorized' },
          wrong_key: { enforced: false, reason: 'an MCP session opened with a wrong key' },
          valid_key: { accepted: true, reason: 'the real key opened a session' },
        },
      },
    });
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

  it('mcp_catalog: its details as the type shows them (test/probes/mcp-catalog/format.test.ts), after the result', () => {
    const r = result({
      success: true,
      probe: 'cat',
      type: 'mcp_catalog',
      outcome: 'ok',
      reason: '3 tools (a: 2, b: 1); catalog changed (+1 -1 ~0)',
      phases: { initialize: 10, list_tools: 30 },
      details: CHANGED_CATALOG,
    });
    expect(formatResult(r, 'http://gw').split('\n').slice(4)).toEqual([...format(CHANGED_CATALOG)!, '']);
  });

  it('the SSO token: client, endpoint, where it came from, expiry, the token requests', () => {
    const oauth = {
      tokenEndpoint: 'https://sso/realms/ops/protocol/openid-connect/token',
      grant: 'client_credentials' as const,
      clientId: 'mcpwatch',
      authMethod: 'private_key_jwt' as const,
      scopes: ['openid'],
      token: 'requested' as const,
      expiresAt: 300_000,
      requests: [{ at: 0, durationMs: 5, outcome: 'ok' as const, why: 'unauthorized' as const }],
    };
    const r = result({ probe: 'c', type: 'mcp_catalog', outcome: 'ok', reason: 'ok', oauth });
    expect(formatResult(r, 'https://gw').split('\n')).toContain(
      'oauth2:   client mcpwatch (client_credentials, private_key_jwt, scopes openid) at https://sso/realms/ops/protocol/openid-connect/token: token requested in this run, expires 00:05:00 UTC (in 5m); 1 token request: ok',
    );
    const refused = {
      ...r,
      oauth: {
        ...oauth,
        token: 'none' as const,
        expiresAt: undefined,
        requests: [
          { at: 0, durationMs: 5, outcome: 'rejected' as const, why: 'first' as const, error: 'unauthorized_client' },
        ],
      },
    } as ProbeResult;
    expect(formatResult(refused, 'https://gw')).toContain(
      ': token none; 1 token request: rejected unauthorized_client\n',
    );
  });

  it("the gateway's log: each record with its time and container, continuation lines indented, repeats counted, what may be missing", () => {
    const r = result({
      probe: 'sql',
      type: 'mcp_call',
      outcome: 'timeout',
      reason: 'timeout after 20s in call_tool',
      gatewayLog: {
        from: '2026-12-02T03:25:31.372Z',
        to: '2026-12-02T03:25:54.381Z',
        containers: ['litellm'],
        about: ['mcp_postgres'],
        records: [
          {
            container: 'litellm',
            at: '2026-12-02T03:25:38.043Z',
            stream: 'stderr',
            text: "WARNING  error connecting in 'pool-1':\n         failed: Connection refused",
            repeats: 9,
            lastAt: '2026-12-02T03:25:52.396Z',
          },
          { container: 'litellm', at: '2026-12-02T03:25:53.000Z', stream: 'stderr', text: 'ERROR: once' },
        ],
        omitted: 2,
        incomplete: ['litellm: part of the window was dropped'],
      },
    });
    expect(formatResult(r, 'http://gw').split('\n').slice(3)).toEqual([
      'gateway log (litellm, 03:25:31.372–03:25:54.381 UTC) about mcp_postgres: 2 records, 2 more left out',
      "  03:25:38.043 litellm WARNING  error connecting in 'pool-1':  (9 more times, the last at 03:25:52.396)",
      '                       failed: Connection refused',
      '  03:25:53.000 litellm ERROR: once',
      '  (incomplete: litellm: part of the window was dropped)',
      '',
    ]);
  });
});

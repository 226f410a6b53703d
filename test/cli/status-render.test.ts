import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatAge, statusLines, statusSummary } from '../../src/cli/status-render.js';
import type { KeyLifetimeStatus } from '../../src/gateway-state/key-watch.js';
import type { HealthReport } from '../../src/runtime/health-view.js';
import { gatewayView, type StatusDocument } from '../../src/runtime/status-view.js';
import { REPO } from '../support/agent-proc.js';

// The renderer of `mcpwatch status`, pure: /status and /health as a real agent answered them (agent-failing: an
// http probe to a closed port, a catalog of a disabled /mcp, a bare-key Codex file, Docker not there) and as a
// LiteLLM deployment's would (litellm-shard: a server down, a failed reload, a container not there yet, shard 0 of 2).

function fixture(name: string): { status: StatusDocument; health: HealthReport } {
  const read = (kind: string): unknown =>
    JSON.parse(readFileSync(join(REPO, 'test/fixtures/status', `${name}.${kind}.json`), 'utf8'));
  return { status: read('status') as StatusDocument, health: read('health') as HealthReport };
}

const URL = 'http://127.0.0.1:9464';

describe('statusSummary', () => {
  it("a real agent's failing state: failing probes first, with age and last success", () => {
    const { status, health } = fixture('agent-failing');
    const s = statusSummary(URL, status, health, Date.parse('2026-12-04T23:53:58.662Z'));
    expect(s.ok).toBe(false);
    expect(s.failing).toEqual([
      '3 of 4 probes failing',
      '1 client entry failing',
      '1 container not followed (litellm)',
      'health degraded (logs)',
    ]);
    expect(s.probes.map((p) => [p.name, p.state, p.outcome, p.ageSeconds])).toEqual([
      ['gw-liveliness', 'fail', 'connect_error', 4],
      ['self-catalog', 'fail', 'http_error', 2],
      ['codex-entry', 'fail', 'connect_error', 13],
      ['self-health', 'ok', 'ok', 2],
    ]);
    expect(s.probes[0]).toMatchObject({ lastSuccessAt: null, lastSuccessAgeSeconds: null, runs: 2, failures: 2 });
    // A rejected catalog (404) reports no servers.
    expect(s.servers).toEqual([]);
    expect(s.clients).toEqual([
      expect.objectContaining({
        probe: 'codex-entry',
        client: 'Codex CLI',
        ok: false,
        live: expect.objectContaining({ outcome: 'connect_error' }),
      }),
    ]);
    // Errors before warnings.
    expect(s.clients[0]!.findings.map((f) => f.code)).toEqual(['missing_bearer_prefix', 'plaintext_key']);
    expect(s.health[0]).toEqual({
      check: 'logs',
      status: 'degraded',
      message: 'Docker API unreachable at /tmp/st/nope.sock: connect ENOENT /tmp/st/nope.sock (retrying)',
    });
    expect(s.logs).toEqual({
      docker: { up: false, endpoint: '/tmp/st/nope.sock', error: 'connect ENOENT /tmp/st/nope.sock' },
      containers: [
        {
          name: 'litellm',
          state: 'error',
          following: false,
          lines: 0,
          error: 'connect ENOENT /tmp/st/nope.sock',
          recentMatches: 0,
          lastMatchAt: null,
          lastMatchAgeSeconds: null,
        },
      ],
    });
  });

  it("a LiteLLM shard: servers from the catalog's details (down first), client warnings only, a pending probe", () => {
    const { status, health } = fixture('litellm-shard');
    const s = statusSummary(URL, status, health, Date.parse('2026-05-01T10:05:00.000Z'));
    expect(s.failing).toEqual([
      '1 of 4 probes failing',
      '1 server down (mcp_postgres)',
      '1 container not followed (litellm-2)',
      'health degraded (config, logs)',
    ]);
    expect(s.servers).toEqual([
      {
        server: 'mcp_postgres',
        up: false,
        tools: 0,
        reason: 'internal',
        said: 'internal (HTTP 500)',
        gatewayHealth: 'healthy',
        probe: 'litellm-catalog',
        target: 'litellm',
        at: '2026-05-01T10:04:20.000Z',
        ageSeconds: 40,
      },
      {
        server: 'mcp_fs',
        up: true,
        tools: 14,
        probe: 'litellm-catalog',
        target: 'litellm',
        at: '2026-05-01T10:04:20.000Z',
        ageSeconds: 40,
      },
    ]);
    expect(s.probes.map((p) => [p.name, p.state])).toEqual([
      ['litellm-catalog', 'fail'],
      ['litellm-read', 'pending'],
      ['litellm-liveliness', 'ok'],
      ['codex-lan', 'ok'],
    ]);
    expect(s.probes[0]!.lastSuccessAgeSeconds).toBe(579);
    expect(s.clients[0]).toMatchObject({ ok: true, findings: [{ severity: 'warning', code: 'unknown_server' }] });
    expect(s.health[0]).toMatchObject({ check: 'config', problems: [expect.stringContaining('probes[3].every')] });
    expect(s.logs!.containers.map((c) => [c.name, c.following, c.recentMatches, c.lastMatchAgeSeconds])).toEqual([
      ['litellm-2', false, 0, null],
      ['litellm', true, 2, 110],
    ]);
    expect(s.agent.shard).toEqual({ index: 0, total: 2, probes: 4, ofProbes: 7, tailsLogs: true });
  });

  it('all well: ok, nothing failing', () => {
    const s = statusSummary(URL, ...allWell(), Date.parse('2026-05-01T10:05:00.000Z'));
    expect(s.ok).toBe(true);
    expect(s.failing).toEqual([]);
  });

  it('a clock behind the agent shows 0s, not a negative age', () => {
    const { status, health } = fixture('agent-failing');
    const s = statusSummary(URL, status, health, Date.parse('2026-12-04T23:00:00.000Z'));
    expect(s.probes.every((p) => p.ageSeconds === 0)).toBe(true);
  });

  it('an agent without a shard or logs (an older one, or no containers configured)', () => {
    const { status, health } = fixture('agent-failing');
    const { shard: _shard, logs: _logs, ...older } = status;
    const s = statusSummary(URL, older as StatusDocument, health, Date.parse('2026-12-04T23:53:58.662Z'));
    expect(s.agent.shard).toBeNull();
    expect(s.logs).toBeNull();
  });
});

/** The LiteLLM fixture with everything well: the server up, the reload and the second container gone. */
function allWell(): [StatusDocument, HealthReport] {
  const { status, health } = fixture('litellm-shard');
  const catalog = status.probes[1]!;
  const details = catalog.type === 'mcp_catalog' ? catalog.last?.details : undefined;
  if (!catalog.last || !details || !('servers' in details) || !details.servers) throw new Error('fixture changed');
  catalog.last = { ...catalog.last, outcome: 'ok', success: true, reason: '14 tools' };
  details.servers.mcp_postgres = { up: true, tools: 6 };
  status.logs!.containers = status.logs!.containers.slice(0, 1);
  health.status = 'ok';
  for (const c of Object.values(health.checks)) {
    c.status = 'ok';
    delete c.message;
    delete c.problems;
  }
  return [status, health];
}

describe('statusLines', () => {
  it('the failing state, as a terminal shows it', () => {
    const { status, health } = fixture('litellm-shard');
    const lines = statusLines(statusSummary(URL, status, health, Date.parse('2026-05-01T10:05:00.000Z')));
    expect(lines.join('\n')).toBe(
      [
        'mcpwatch 0.1.0 at http://127.0.0.1:9464: up 2h5m, health degraded',
        'shard 0 of 2: 4 of 7 probes, tails the logs',
        'PROBLEMS: 1 of 4 probes failing, 1 server down (mcp_postgres), 1 container not followed (litellm-2), ' +
          'health degraded (config, logs)',
        '',
        'Probes',
        '  FAIL   litellm-catalog     mcp_catalog    expectation_failed  40s ago      ' +
          'last success 9m39s ago, 9 of 125 runs failed',
        "         server down: mcp_postgres: internal — the gateway could not start or query it: check its command and the gateway's log",
        '  -      litellm-read        mcp_call                           running now',
        '  ok     litellm-liveliness  http           ok                  12s ago      200 OK',
        '  ok     codex-lan           client_config  ok                  3m ago       as Codex CLI sends it: 14 tools (mcp_fs: 14)',
        '',
        'Servers (from the catalog probes)',
        '  DOWN   mcp_postgres  internal (the gateway said: internal (HTTP 500)); its health endpoint says healthy  litellm-catalog, 40s ago',
        '  up     mcp_fs        14 tools                                                                            litellm-catalog, 40s ago',
        '',
        'Clients (client_config probes)',
        '  ok     codex-lan: Codex CLI entry "litellm" in /home/ops/.codex/config.toml:4, 3m ago',
        "         warning: line 7: [unknown_server] x-mcp-servers names mcp_git, which no catalog probe of this gateway lists — fix: check the name against the gateway's config",
        '         live: ok: 14 tools',
        '',
        'Health',
        '  DEGR   config: the last reload failed: running the previous config',
        '         probes[3].every: expected a duration such as 30s, 5m or 1h, got "often"',
        '  DEGR   logs: not following: litellm-2 (waiting: no such container)',
        '  ok     scheduler, eventLoop',
        '',
        'Log tailing (Docker at /var/run/docker.sock)',
        '  FAIL   litellm-2  waiting    0 lines      no such container: litellm-2',
        '  ok     litellm    following  18234 lines  2 recent matches, newest 1m50s ago',
      ].join('\n'),
    );
  });

  it('all well: one line says so', () => {
    const lines = statusLines(statusSummary(URL, ...allWell(), Date.parse('2026-05-01T10:05:00.000Z')));
    expect(lines[2]).toBe(
      'all well: 3 of 4 probes ok (1 not run yet), 2 servers up, 1 client entry ok, 1 container followed',
    );
    expect(lines.join('\n')).not.toMatch(/FAIL|DOWN|DEGR/);
  });

  it('a reason of several lines is indented line by line', () => {
    const { status, health } = fixture('agent-failing');
    status.probes.find((p) => p.name === 'self-catalog')!.last!.reason = 'first\nsecond';
    const lines = statusLines(statusSummary(URL, status, health, Date.parse('2026-12-04T23:53:58.662Z')));
    const at = lines.findIndex((l) => l.includes('self-catalog'));
    expect(lines.slice(at + 1, at + 3)).toEqual(['         first', '         second']);
  });
});

describe('the gateway itself', () => {
  const NOW = Date.parse('2026-12-05T10:00:00.000Z');
  const container = {
    present: true,
    running: true,
    status: 'running',
    health: 'healthy' as const,
    id: 'abcdef012345',
    image: 'ghcr.io/berriai/litellm:main-v1.77.1-stable',
    imageVersion: '1.77.1',
    startedAtMs: NOW - 3_600_000,
    finishedAtMs: NOW - 3_700_000,
    exitCode: 137,
    restartCount: 0,
    restarts: 4,
    ooms: 1,
    pending: [] as Array<{ path: string; changedAt: number }>,
    unreadable: [],
    target: 'lan',
  };
  const doc = (over: Partial<typeof container>): StatusDocument => {
    const { status } = fixture('litellm-shard');
    return {
      ...status,
      gateway: gatewayView({
        containers: [{ container: 'litellm', ...container, ...over }],
        versions: [{ target: 'lan', version: '1.77.1', source: 'readiness', saidAt: null, imageVersion: '1.77.1' }],
      }),
    };
  };

  it('a container running well: shown, not failing', () => {
    const { health } = fixture('litellm-shard');
    const s = statusSummary(URL, doc({}), health, NOW);
    expect(s.failing.some((f) => f.startsWith('gateway'))).toBe(false);
    const lines = statusLines(s);
    const at = lines.indexOf('Gateway');
    expect(lines.slice(at, at + 3)).toEqual([
      'Gateway',
      '  ok     litellm  running 1h  health healthy  4 restarts, 1 OOM kill, last exit 137 1h1m ago',
      '         lan: LiteLLM 1.77.1 (readiness)',
    ]);
  });

  it('a restart pending names the file; stopped and unhealthy containers fail', () => {
    const { health } = fixture('litellm-shard');
    const pending = [{ path: '/gateway/config.yaml', changedAt: NOW - 240_000 }];
    const s = statusSummary(URL, doc({ pending }), health, NOW);
    expect(s.failing).toContain('gateway container litellm restart pending (/gateway/config.yaml)');
    expect(statusLines(s)).toContain('         restart pending: /gateway/config.yaml changed 4m ago');
    const stopped = statusSummary(URL, doc({ running: false, status: 'exited' }), health, NOW);
    expect(stopped.failing).toContain('gateway container litellm exited');
    const sick = statusSummary(URL, doc({ health: 'unhealthy' as never }), health, NOW);
    expect(sick.failing).toContain('gateway container litellm unhealthy');
  });
});

describe('discovery in mcpwatch status', () => {
  const NOW = Date.parse('2026-12-05T10:00:00.000Z');
  const withDiscovery = (lastOk: boolean): StatusDocument => ({
    ...fixture('litellm-shard').status,
    discovery: [
      {
        target: 'litellm',
        every: '5m',
        list: {
          source: 'server_list',
          readAt: '2026-12-05T09:58:00.000Z',
          servers: [
            { name: 'mcp_fs', probes: ['litellm/mcp_fs/mcp_catalog'] },
            { name: 'mcp_postgres', probes: [], configured: { mcp_catalog: 'pg-catalog' } },
            { name: 'mcpwatch', excluded: true, probes: [] },
          ],
        },
        lastAttempt: lastOk
          ? { at: '2026-12-05T09:58:00.000Z', ok: true, source: 'server_list' }
          : { at: '2026-12-05T09:59:30.000Z', ok: false, error: 'connection refused' },
      },
    ],
  });

  it('each target: where its list came from and how old it is, each server with the probes made for it', () => {
    const s = statusSummary(URL, withDiscovery(true), fixture('litellm-shard').health, NOW);
    expect(s.failing.some((f) => f.startsWith('discovery'))).toBe(false);
    const lines = statusLines(s);
    const at = lines.indexOf('Discovered servers');
    expect(lines.slice(at, at + 5)).toEqual([
      'Discovered servers',
      '  ok     litellm: 3 servers from server_list, read 2m ago, every 5m',
      '         mcp_fs        litellm/mcp_fs/mcp_catalog',
      '         mcp_postgres  configured: pg-catalog',
      '         mcpwatch      excluded',
    ]);
  });

  it('a failed read: failing, with the error, the kept list still shown', () => {
    const s = statusSummary(URL, withDiscovery(false), fixture('litellm-shard').health, NOW);
    expect(s.ok).toBe(false);
    expect(s.failing).toContain('discovery failing (litellm)');
    const lines = statusLines(s);
    const at = lines.indexOf('Discovered servers');
    expect(lines.slice(at + 1, at + 3)).toEqual([
      '  FAIL   litellm: 3 servers from server_list, read 2m ago, every 5m',
      '         the last read failed 30s ago: connection refused',
    ]);
  });
});

describe('named keys in mcpwatch status', () => {
  const NOW = Date.parse('2026-12-05T10:00:00.000Z');
  const key = (over: Pick<KeyLifetimeStatus, 'key' | 'state'> & Partial<KeyLifetimeStatus>): KeyLifetimeStatus => ({
    askedAt: '2026-12-05T09:58:00.000Z',
    expiresAt: null,
    maxBudget: null,
    spend: null,
    budgetRemaining: null,
    blocked: null,
    ...over,
  });
  const doc = (): StatusDocument => ({
    ...fixture('litellm-shard').status,
    keys: [
      {
        target: 'litellm',
        keys: [
          key({
            key: 'codex',
            state: 'ok',
            expiresAt: '2027-01-04T10:00:00.000Z',
            maxBudget: 100,
            spend: 12.5,
            budgetRemaining: 87.5,
            blocked: false,
          }),
          key({
            key: 'ci',
            state: 'ok',
            maxBudget: 10,
            spend: 12,
            budgetRemaining: -2,
            blocked: false,
            message: "the key's budget is spent (12 of 10)",
          }),
          key({
            key: 'webui',
            state: 'expired',
            expiresAt: '2026-12-01T00:00:00.000Z',
            message: 'the gateway refuses the key: it has expired',
          }),
        ],
      },
      {
        target: 'lan',
        lifetimes: 'unavailable: the gateway has no database (it answered 400: "No connected db.")',
        keys: [key({ key: 'codex', state: 'no_database' })],
      },
    ],
  });

  it('each key: failing first (refused, spent), its expiry and budget; a target without a database said once', () => {
    const s = statusSummary(URL, doc(), fixture('litellm-shard').health, NOW);
    expect(s.failing).toContain('2 keys refused or spent (litellm/ci, litellm/webui)');
    const lines = statusLines(s);
    const at = lines.indexOf('Keys (named keys: their lifetimes)');
    expect(lines.slice(at, at + 5)).toEqual([
      'Keys (named keys: their lifetimes)',
      '  -      lan: unavailable: the gateway has no database (it answered 400: "No connected db.")',
      "  FAIL   litellm/ci     ok       the key's budget is spent (12 of 10)",
      '  FAIL   litellm/webui  expired  the gateway refuses the key: it has expired',
      '  ok     litellm/codex  ok       expires 2027-01-04 (in 30d), budget 87.5 of 100 left',
    ]);
  });

  it('no named keys: no section, nothing failing', () => {
    const s = statusSummary(URL, fixture('litellm-shard').status, fixture('litellm-shard').health, NOW);
    expect(s.keys).toEqual({ lines: [], unavailable: [] });
    expect(statusLines(s)).not.toContain('Keys (named keys: their lifetimes)');
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0s'],
    [12.9, '12s'],
    [60, '1m'],
    [192, '3m12s'],
    [3600, '1h'],
    [7500, '2h5m'],
    [86_400 * 3 + 3600 * 4 + 59, '3d4h'],
    [-5, '0s'],
  ])('%s seconds: %s', (s, text) => {
    expect(formatAge(s)).toBe(text);
  });
});

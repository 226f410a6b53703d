import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/parse.js';
import { forShard, shardOfName } from '../../src/config/shard.js';
import type { Scheduler } from '../../src/scheduler/scheduler.js';
import { AgentParts } from '../../src/runtime/agent-parts.js';
import {
  agentCatalogs,
  agentHealth,
  agentStatus,
  mcpAccessOf,
  webAccessOf,
  probeElsewhereOf,
  shardStatusOf,
  type AgentState,
} from '../../src/runtime/agent-views.js';
import { Redactor } from '../../src/util/redact.js';
import { unseenCatalog } from '../support/fake-agent-port.js';
import { capturingLogger, configOf, httpProbesConfig, testMetrics } from '../support/runtime-config.js';

const LOADED_AT = Date.UTC(2025, 0, 2, 3, 0, 0);
const NAMES = Array.from({ length: 12 }, (_, i) => `p${i}`);

describe('agent views', () => {
  const schedulers: Scheduler[] = [];
  afterEach(async () => {
    for (const s of schedulers.splice(0)) await s.stop();
  });

  /** The state of an agent running `config` (its scheduler not started), with `over` on top. */
  function state(config: Config, over: Partial<AgentState> = {}): AgentState {
    const { metrics } = testMetrics();
    const deps = { logger: capturingLogger('silent').logger, redactor: new Redactor(), metrics };
    const sharded = forShard(config);
    const parts = new AgentParts(sharded.config, deps, () => []);
    parts.adopt(sharded);
    const scheduler = parts.scheduler(sharded.config);
    schedulers.push(scheduler);
    return {
      configPath: '/etc/mcpwatch.yaml',
      startedAt: LOADED_AT - 60_000,
      loadedAt: LOADED_AT,
      lastReload: { at: LOADED_AT, ok: true, problems: [] },
      sharded,
      scheduler,
      logs: undefined,
      stopping: false,
      parts,
      maxEventLoopDelayMs: 1_000,
      ...over,
    };
  }

  describe('agentHealth', () => {
    it('a scheduler that does not run fails the health, unless the agent is stopping', () => {
      const s = state(httpProbesConfig(['a']));
      const health = agentHealth(s);
      expect(health.checks.scheduler).toMatchObject({ status: 'fail', message: 'scheduler not running' });
      expect(health.checks.config).toEqual({
        status: 'ok',
        path: '/etc/mcpwatch.yaml',
        loadedAt: '2025-01-02T03:00:00.000Z',
      });
      expect(health.checks).not.toHaveProperty('logs');
      expect(health.targets).toEqual({ t: { up: true, probes: 1, failing: [], clients: { probes: 0, failing: [] } } });
      expect(agentHealth({ ...s, stopping: true }).checks.scheduler!.status).toBe('ok');
    });

    it('a failed reload degrades the config check; a probe that failed marks its target', async () => {
      const s = state(httpProbesConfig(['a', 'b']), {
        lastReload: { at: LOADED_AT + 5_000, ok: false, problems: [{ path: 'probes', message: 'bad' }] },
      });
      await s.scheduler.runNow('a');
      const health = agentHealth(s);
      expect(health.checks.config).toMatchObject({ status: 'degraded', problems: ['probes: bad'] });
      expect(health.targets).toEqual({
        t: { up: false, probes: 2, failing: ['a'], clients: { probes: 0, failing: [] } },
      });
    });

    it("a client file's probe that fails is listed under the target's clients, which stays up", async () => {
      // Its file is not there: the run fails at once, without the network.
      const s = state(
        configOf(
          'logLevel: silent\ntargets:\n  t: { url: "http://127.0.0.1:9" }\nprobes:\n' +
            '  - { name: a, type: http, target: t, every: 1h }\n' +
            '  - { name: codex, type: client_config, target: t, file: /nonexistent/config.toml, server: gw, every: 1h }\n',
        ),
      );
      await s.scheduler.runNow('codex');
      expect(s.parts.records.store.peek('codex')?.last?.success).toBe(false);
      expect(agentHealth(s).targets).toEqual({
        t: { up: true, probes: 1, failing: [], clients: { probes: 1, failing: ['codex'] } },
      });
    });

    it('the event loop fails the health above its limit', () => {
      const s = state(httpProbesConfig([]), { maxEventLoopDelayMs: -1 });
      expect(agentHealth(s).checks.eventLoop!.status).toBe('fail');
    });
  });

  describe('agentStatus', () => {
    it("shows the running config's probes, the load times, the shard, and no logs without log tailing", async () => {
      const s = state({ ...httpProbesConfig(NAMES), shard: { index: 1, total: 2 } });
      const mine = NAMES.filter((n) => shardOfName(n, 2) === 1);
      await s.scheduler.runNow(mine[0]!);
      const doc = agentStatus(s, LOADED_AT + 30_000);
      expect(doc.uptimeSeconds).toBe(90);
      expect(doc.config).toEqual({
        path: '/etc/mcpwatch.yaml',
        loadedAt: '2025-01-02T03:00:00.000Z',
        lastReload: { at: '2025-01-02T03:00:00.000Z', ok: true, problems: [] },
      });
      expect(doc.shard).toEqual({ index: 1, total: 2, probes: mine.length, ofProbes: 12, tailsLogs: false });
      expect(doc.probes.map((p) => p.name)).toEqual(mine);
      expect(doc.probes[0]).toMatchObject({ runs: 1, failures: 1, inFlight: false });
      expect(doc).not.toHaveProperty('logs');
    });
  });

  it('agentCatalogs: the catalog probes of the running config', () => {
    const config = configOf(
      'logLevel: silent\ntargets:\n  t: { url: "http://127.0.0.1:9" }\nprobes:\n' +
        '  - { name: cat, type: mcp_catalog, target: t, servers: [github], every: 1h }\n' +
        '  - { name: live, type: http, target: t, every: 1h }\n',
    );
    expect(agentCatalogs(state(config))).toEqual([unseenCatalog('cat', 't')]);
  });

  it("shardStatusOf and probeElsewhereOf: this replica's share, and where another shard's probe runs", () => {
    const sharded = forShard({ ...httpProbesConfig(NAMES), shard: { index: 0, total: 3 } });
    const mine = NAMES.filter((n) => shardOfName(n, 3) === 0);
    const other = NAMES.find((n) => shardOfName(n, 3) === 2)!;
    expect(shardStatusOf(sharded)).toEqual({ index: 0, total: 3, probes: mine.length, ofProbes: 12, tailsLogs: false });
    expect(probeElsewhereOf(sharded, other)).toEqual({ probe: other, shard: 2, total: 3, here: 0 });
    expect(probeElsewhereOf(sharded, mine[0]!)).toBeUndefined();
    expect(probeElsewhereOf(sharded, 'not-configured')).toBeUndefined();
  });

  it('mcpAccessOf: null while the endpoint is off; an empty token is no token', () => {
    const config = httpProbesConfig([]);
    expect(mcpAccessOf(config)).toBeNull();
    const on = { enabled: true, token: '', allowUnauthenticated: false };
    expect(mcpAccessOf({ ...config, mcpServer: on })).toEqual({ token: undefined });
    expect(mcpAccessOf({ ...config, mcpServer: { ...on, token: 'tok3n' } })?.token).toBe('tok3n');
  });

  it('webAccessOf: the lists of `web`; POST /-/reload with the flag or web.enableLifecycle', () => {
    const config = httpProbesConfig([]);
    const web = { allowedOrigins: ['http://localhost:9464'], allowedHosts: ['mcpwatch'], enableLifecycle: false };
    expect(webAccessOf({ ...config, web }, false)).toEqual({
      allowedOrigins: ['http://localhost:9464'],
      allowedHosts: ['mcpwatch'],
      lifecycle: false,
    });
    expect(webAccessOf({ ...config, web }, true).lifecycle).toBe(true);
    expect(webAccessOf({ ...config, web: { ...web, enableLifecycle: true } }, false).lifecycle).toBe(true);
  });
});

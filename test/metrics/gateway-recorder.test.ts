import { describe, expect, it } from 'vitest';
import type { ContainerFacts } from '../../src/gateway-state/container-track.js';
import { GatewayRecorder } from '../../src/metrics/gateway-recorder.js';
import { samples, value } from '../support/exposition.js';
import { recorderOnTestMetrics } from '../support/runtime-config.js';

function facts(over: Partial<ContainerFacts> = {}): ContainerFacts {
  return {
    container: 'litellm',
    present: true,
    running: true,
    status: 'running',
    health: 'healthy',
    startedAtMs: 1_700_000_000_000,
    restartCount: 0,
    restarts: 0,
    ooms: 0,
    pending: [],
    unreadable: [],
    ...over,
  };
}

describe('GatewayRecorder', () => {
  it('no series before the first look; then every family of the container', async () => {
    const { rec, text } = recorderOnTestMetrics((m) => new GatewayRecorder(m));
    rec.containerAdded('litellm');
    expect(samples(await text(), 'mcp_gateway_container_restarts_total')).toEqual([]);
    rec.containerFacts(facts({ exitCode: 137 }));
    const t = await text();
    expect(value(t, 'mcp_gateway_container_running', { container: 'litellm' })).toBe(1);
    expect(value(t, 'mcp_gateway_container_restarts_total', { container: 'litellm' })).toBe(0);
    expect(value(t, 'mcp_gateway_container_oom_kills_total', { container: 'litellm' })).toBe(0);
    expect(value(t, 'mcp_gateway_container_last_exit_code', { container: 'litellm' })).toBe(137);
    expect(value(t, 'mcp_gateway_container_started_timestamp_seconds', { container: 'litellm' })).toBe(1_700_000_000);
    expect(value(t, 'mcp_gateway_restart_pending', { container: 'litellm' })).toBe(0);
    expect(samples(t, 'mcp_gateway_container_health').map((s) => [s.labels.status, s.value])).toEqual([
      ['starting', 0],
      ['healthy', 1],
      ['unhealthy', 0],
      ['none', 0],
    ]);
  });

  it('counters start at the kept totals and grow by what the totals grew by', async () => {
    const { rec, text } = recorderOnTestMetrics((m) => new GatewayRecorder(m));
    rec.containerAdded('litellm');
    rec.containerFacts(facts({ restarts: 5, ooms: 1 }));
    rec.containerFacts(facts({ restarts: 5, ooms: 1 }));
    rec.containerFacts(facts({ restarts: 7, ooms: 2, pending: [{ path: '/cfg/config.yaml', changedAt: 1 }] }));
    const t = await text();
    expect(value(t, 'mcp_gateway_container_restarts_total', { container: 'litellm' })).toBe(7);
    expect(value(t, 'mcp_gateway_container_oom_kills_total', { container: 'litellm' })).toBe(2);
    expect(value(t, 'mcp_gateway_restart_pending', { container: 'litellm' })).toBe(1);
  });

  it('containerRemoved removes every series of it', async () => {
    const { rec, text } = recorderOnTestMetrics((m) => new GatewayRecorder(m));
    rec.containerAdded('litellm');
    rec.containerFacts(facts({ exitCode: 1 }));
    rec.containerRemoved('litellm');
    expect((await text()).split('\n').filter((l) => l.includes('container="litellm"'))).toEqual([]);
  });

  it('build info: one series per target, replaced when the version or its source changes', async () => {
    const { rec, text } = recorderOnTestMetrics((m) => new GatewayRecorder(m));
    rec.buildInfo('lan', { version: '1.77.1', source: 'image' });
    rec.buildInfo('lan', { version: '1.77.1', source: 'readiness' });
    rec.buildInfo('wan', { version: '1.109.1', source: 'openapi' });
    expect(samples(await text(), 'mcp_gateway_build_info')).toEqual([
      { labels: { target: 'lan', version: '1.77.1', source: 'readiness' }, value: 1 },
      { labels: { target: 'wan', version: '1.109.1', source: 'openapi' }, value: 1 },
    ]);
    rec.buildInfo('wan', undefined);
    expect(samples(await text(), 'mcp_gateway_build_info')).toHaveLength(1);
  });
});

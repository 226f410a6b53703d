import type { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import { ORIGINS } from '../../src/correlate/guard.js';
import { AUTH_KINDS, MCP_KINDS } from '../../src/logs/litellm-rules.js';
import { LogRecorder } from '../../src/metrics/log-recorder.js';
import { samples, value, type Sample } from '../support/exposition.js';
import { recorderOnTestMetrics } from '../support/runtime-config.js';

let registry: Registry;
let rec: LogRecorder;
let text: () => Promise<string>;
beforeEach(() => {
  ({ registry, rec, text } = recorderOnTestMetrics((metrics) => new LogRecorder(metrics)));
});

describe('LogRecorder', () => {
  it('containerAdded: tail_up 0 and a zero counter for every built-in auth and mcp kind, for both origins', async () => {
    rec.containerAdded('litellm');
    const t = await text();
    expect(samples(t, 'mcpwatch_log_tail_up')).toEqual([{ labels: { container: 'litellm' }, value: 0 }]);
    expect(ORIGINS).toEqual(['external', 'probe']);
    const want: Sample[] = [];
    for (const origin of ORIGINS) {
      for (const kind of AUTH_KINDS)
        want.push({ labels: { container: 'litellm', category: 'auth', kind, origin, cause: '' }, value: 0 });
      for (const kind of MCP_KINDS)
        want.push({ labels: { container: 'litellm', category: 'mcp', kind, origin, cause: '' }, value: 0 });
    }
    expect(want).toHaveLength(2 * (9 + 7));
    expect(samples(t, 'mcpwatch_log_matches_total')).toEqual(want);
    // nothing is matched or read yet
    expect(samples(t, 'mcpwatch_log_last_match_timestamp_seconds')).toEqual([]);
    expect(samples(t, 'mcpwatch_log_lines_total')).toEqual([]);
  });

  it('containerAdded is per container', async () => {
    rec.containerAdded('a');
    rec.containerAdded('b');
    const t = await text();
    expect(samples(t, 'mcpwatch_log_tail_up').map((s) => s.labels.container)).toEqual(['a', 'b']);
    expect(samples(t, 'mcpwatch_log_matches_total').filter((s) => s.labels.container === 'b')).toHaveLength(
      2 * (9 + 7),
    );
  });

  it('tailUp sets 1 and 0; containerRemoved removes tail_up', async () => {
    rec.containerAdded('a');
    rec.containerAdded('b');
    rec.tailUp('a', true);
    let t = await text();
    expect(value(t, 'mcpwatch_log_tail_up', { container: 'a' })).toBe(1);
    expect(value(t, 'mcpwatch_log_tail_up', { container: 'b' })).toBe(0);
    rec.tailUp('a', false);
    expect(value(await text(), 'mcpwatch_log_tail_up', { container: 'a' })).toBe(0);

    rec.tailUp('a', true);
    rec.containerRemoved('a');
    t = await text();
    expect(samples(t, 'mcpwatch_log_tail_up')).toEqual([{ labels: { container: 'b' }, value: 0 }]);
  });

  it('counts lines by container and stream', async () => {
    rec.lines('a', 'stdout', 3);
    rec.lines('a', 'stderr', 2);
    rec.lines('a', 'stdout', 4);
    rec.lines('b', 'stderr', 1);
    const t = await text();
    expect(samples(t, 'mcpwatch_log_lines_total')).toEqual([
      { labels: { container: 'a', stream: 'stdout' }, value: 7 },
      { labels: { container: 'a', stream: 'stderr' }, value: 2 },
      { labels: { container: 'b', stream: 'stderr' }, value: 1 },
    ]);
  });

  it('a match increments its category/kind/origin counter and sets the last match time (log time, seconds)', async () => {
    rec.containerAdded('litellm');
    rec.match('litellm', { category: 'auth', kind: 'invalid_key', rule: 'litellm_auth' }, 'probe', 1_700_000_000_500);
    rec.match(
      'litellm',
      { category: 'auth', kind: 'invalid_key', rule: 'litellm_auth' },
      'external',
      1_700_000_001_250,
    );
    rec.match(
      'litellm',
      { category: 'auth', kind: 'invalid_key', rule: 'litellm_auth' },
      'external',
      1_700_000_002_000,
    );
    rec.match(
      'litellm',
      { category: 'mcp', kind: 'upstream_list_failed', rule: 'litellm_mcp_upstream_list', server: 'github' },
      'external',
      1_700_000_003_000,
    );
    // an HTTP status: no zero counter was made for it, the first match makes the series
    rec.match('litellm', { category: 'http', kind: '401', rule: 'uvicorn_access' }, 'probe', 1_700_000_004_123);
    const t = await text();
    const m = (category: string, kind: string, origin: string) =>
      value(t, 'mcpwatch_log_matches_total', { container: 'litellm', category, kind, origin, cause: '' });
    expect(m('auth', 'invalid_key', 'probe')).toBe(1);
    expect(m('auth', 'invalid_key', 'external')).toBe(2);
    expect(m('auth', 'missing_key', 'external')).toBe(0);
    expect(m('mcp', 'upstream_list_failed', 'external')).toBe(1);
    expect(m('mcp', 'upstream_list_failed', 'probe')).toBe(0);
    expect(m('http', '401', 'probe')).toBe(1);
    expect(m('http', '401', 'external')).toBeUndefined();
    expect(samples(t, 'mcpwatch_log_last_match_timestamp_seconds')).toEqual([
      { labels: { container: 'litellm', category: 'auth', kind: 'invalid_key' }, value: 1_700_000_002 },
      { labels: { container: 'litellm', category: 'mcp', kind: 'upstream_list_failed' }, value: 1_700_000_003 },
      { labels: { container: 'litellm', category: 'http', kind: '401' }, value: 1_700_000_004.123 },
    ]);
  });

  it('mcpwatch_docker_up is absent until dockerUp is first called, then 1 or 0', async () => {
    rec.containerAdded('litellm');
    let t = await text();
    expect(t).not.toContain('mcpwatch_docker_up');
    expect(registry.getSingleMetric('mcpwatch_docker_up')).toBeUndefined();

    rec.dockerUp(true);
    t = await text();
    expect(t).toContain('# TYPE mcpwatch_docker_up gauge');
    expect(samples(t, 'mcpwatch_docker_up')).toEqual([{ labels: {}, value: 1 }]);

    rec.dockerUp(false);
    expect(samples(await text(), 'mcpwatch_docker_up')).toEqual([{ labels: {}, value: 0 }]);
    rec.dockerUp(true);
    expect(samples(await text(), 'mcpwatch_docker_up')).toEqual([{ labels: {}, value: 1 }]);
  });

  it('dockerUp registers on its own registry only', async () => {
    const other = recorderOnTestMetrics((metrics) => new LogRecorder(metrics));
    rec.dockerUp(false);
    expect(samples(await text(), 'mcpwatch_docker_up')).toEqual([{ labels: {}, value: 0 }]);
    expect(await other.text()).not.toContain('mcpwatch_docker_up');
    other.rec.dockerUp(true);
    expect(samples(await other.text(), 'mcpwatch_docker_up')).toEqual([{ labels: {}, value: 1 }]);
    expect(samples(await text(), 'mcpwatch_docker_up')).toEqual([{ labels: {}, value: 0 }]);
  });
});

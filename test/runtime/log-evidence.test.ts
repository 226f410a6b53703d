import { describe, expect, it } from 'vitest';
import type { Probe } from '../../src/config/parse.js';
import { EVIDENCE_AFTER_MS } from '../../src/correlate/evidence.js';
import { RecordRing, type KeptRecord } from '../../src/logs/record-ring.js';
import type { ProbeResult } from '../../src/probes/table.js';
import { DELIVERY_SLACK_MS, LogEvidence } from '../../src/runtime/log-evidence.js';
import { Redactor } from '../../src/util/redact.js';

// Real timers, short waits: the wait is what is tested.
const probe = {
  name: 'sql',
  type: 'mcp_call',
  target: 't',
  servers: ['mcp_pg'],
  tool: 'mcp_pg-execute_sql',
} as unknown as Probe;
const rec = (at: number, text: string): KeptRecord => ({
  container: 'litellm',
  at,
  stream: 'stderr',
  kind: 'python',
  level: 'ERROR',
  text,
});
const failed = (startedAt: number, durationMs = 100): ProbeResult =>
  ({
    probe: 'sql',
    type: 'mcp_call',
    target: 't',
    outcome: 'timeout',
    success: false,
    reason: 'timeout',
    trigger: 'manual',
    startedAt,
    durationMs,
    phases: {},
    steps: [],
  }) as ProbeResult;

describe('LogEvidence', () => {
  it('leaves a success, and a run without followed containers, as they are', async () => {
    const ring = new RecordRing();
    const ok = { ...failed(Date.now()), outcome: 'ok', success: true } as ProbeResult;
    expect(await new LogEvidence(ring, () => ['litellm'], new Redactor()).annotate(ok, probe)).toBe(ok);
    const f = failed(Date.now());
    expect(await new LogEvidence(ring, () => [], new Redactor()).annotate(f, probe)).toBe(f);
  });

  it('waits for the records logged just after the run, and stops waiting once the log has passed the window', async () => {
    const ring = new RecordRing();
    const start = Date.now() - EVIDENCE_AFTER_MS - 100; // the run ended long enough ago for its window to be closed…
    const ev = new LogEvidence(ring, () => ['litellm'], new Redactor());
    ring.add(rec(start + 50, 'ERROR: mcp_pg: upstream failed'));
    const t0 = Date.now();
    const pending = ev.annotate(failed(start), probe);
    // …but a record of its window's end arrives late (Docker, the joiner): it is still taken.
    setTimeout(() => ring.add(rec(start + 100 + EVIDENCE_AFTER_MS - 10, 'ERROR: late traceback')), 100);
    setTimeout(() => ring.add(rec(Date.now(), 'INFO: later')), 200);
    const r = await pending;
    expect(Date.now() - t0).toBeLessThan(DELIVERY_SLACK_MS + 300);
    expect(r.gatewayLog?.records.map((x) => x.text)).toEqual([
      'ERROR: mcp_pg: upstream failed',
      'ERROR: late traceback',
    ]);
    expect(r.gatewayLog?.about).toEqual(['mcp_pg']);
  });

  it('a gateway that logs nothing more: waits the slack after the window, not longer; a cancel stops it', async () => {
    const ring = new RecordRing();
    ring.following('litellm', true, 0);
    const ev = new LogEvidence(ring, () => ['litellm'], new Redactor());
    const start = Date.now() - EVIDENCE_AFTER_MS - 100;
    const t0 = Date.now();
    const r = await ev.annotate(failed(start), probe);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(DELIVERY_SLACK_MS - 150);
    expect(waited).toBeLessThan(DELIVERY_SLACK_MS + 300);
    expect(r.gatewayLog).toMatchObject({ records: [], containers: ['litellm'] });
    expect(r.gatewayLog?.incomplete).toBeUndefined();

    const cancel = new AbortController();
    const t1 = Date.now();
    const p = ev.annotate(failed(Date.now()), probe, cancel.signal);
    setTimeout(() => cancel.abort(), 50);
    await p;
    expect(Date.now() - t1).toBeLessThan(1_000);
  });
});

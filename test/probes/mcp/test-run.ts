import { pino } from 'pino';
import { afterEach } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { runDispatcher } from '../../../src/probes/net/connections.js';
import { EraMemory } from '../../../src/probes/mcp/eras.js';
import { createPhaseClock } from '../../../src/probes/net/phases.js';
import { ProbeTimeoutError, type ProbeContext } from '../../../src/probes/types.js';
import { Redactor } from '../../../src/util/redact.js';
import type { FakeMcpGateway } from '../../support/fake-mcp.js';

/** Support for the tests of src/probes/mcp: a target and a probe run's context, as the scheduler makes them. */

export const KEY = 'sk-unit-session-0123456789abcdef';

export function testTarget(url: string, over: Partial<Target> = {}): Target {
  return {
    name: 'gw',
    url,
    apiKey: KEY,
    apiKeyHeader: 'authorization',
    mcpPath: '/mcp/',
    transport: 'streamable-http',
    protocol: 'auto',
    headers: {},
    tls: { insecureSkipVerify: false },
    ...over,
  } as Target;
}

/** The target the tests of one answer's reading name in their reasons: litellm-lan at http://gw:4000. */
export function lanTarget(over: Partial<Target> = {}): Target {
  return testTarget('http://gw:4000', { name: 'litellm-lan', ...over });
}

export interface TestRun {
  ctx: ProbeContext;
  /** The run's step lines. */
  steps: Array<{ msg: string; data?: Record<string, unknown> }>;
  /** Fires the run's signal now, as its timeout would. */
  abort(): void;
  /** Ends the run's connections. */
  close(): Promise<void>;
}

/** A run's context: its own dispatcher, a signal that fires (ProbeTimeoutError) after `timeoutMs`, its steps kept. */
export function testRun(target: Target, timeoutMs = 3_000): TestRun {
  const phases = createPhaseClock();
  const dispatcher = runDispatcher(target, phases, timeoutMs);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new ProbeTimeoutError(timeoutMs)), timeoutMs);
  const steps: TestRun['steps'] = [];
  const redactor = new Redactor();
  redactor.addSecrets([target.apiKey]);
  const ctx = {
    signal: ac.signal,
    timeoutMs,
    logger: pino({ level: 'silent' }),
    target,
    phases,
    dispatcher,
    request: () => Promise.reject(new Error('not used by MCP sessions')),
    redactor,
    memory: {},
    // Each run negotiates afresh unless a test shares a memory between runs.
    protocols: new EraMemory(),
    step: (msg: string, data?: Record<string, unknown>) => void steps.push({ msg, ...(data && { data }) }),
  } as ProbeContext;
  return {
    ctx,
    steps,
    abort: () => ac.abort(new ProbeTimeoutError(timeoutMs)),
    close: async () => {
      clearTimeout(timer);
      await dispatcher.destroy().catch(() => undefined);
    },
  };
}

/**
 * Runs of a describe block against a fake gateway: `run(target)` starts one (as testRun); after each test its
 * runs are ended, then the gateway's connections waited out and its rules and records reset.
 */
export function runsAgainst(gateway: () => FakeMcpGateway): (target: Target, timeoutMs?: number) => TestRun {
  const runs: TestRun[] = [];
  afterEach(async () => {
    for (const r of runs.splice(0)) await r.close();
    await gateway().waitForNoConnections();
    gateway().reset();
  });
  return (target, timeoutMs) => {
    const r = testRun(target, timeoutMs);
    runs.push(r);
    return r;
  };
}

import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/probes/types.js';
import type { ProbeResult } from '../../src/probes/table.js';
import { type TransitionLog, transitionLog } from '../../src/runtime/transitions.js';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

const REASONS: Partial<Record<Outcome, string>> = {
  ok: 'listed 12 tools',
  timeout: 'timeout after 10s in initialize',
  connect_error: 'connection refused by litellm.lan:4000: is the gateway running and listening there? (ECONNREFUSED)',
  auth_rejected: '401 Unauthorized from lan: the key was rejected',
};

function run(outcome: Outcome, over: Partial<ProbeResult> = {}): ProbeResult {
  return {
    probe: 'catalog',
    target: 'lan',
    type: 'mcp_catalog',
    outcome,
    reason: REASONS[outcome] ?? outcome,
    success: outcome === 'ok',
    trigger: 'schedule',
    startedAt: T0,
    durationMs: 120,
    phases: {},
    steps: [],
    ...over,
  } as ProbeResult;
}

const fields = (outcome: Outcome, durationMs = 120) => ({
  probe: 'catalog',
  target: 'lan',
  type: 'mcp_catalog',
  outcome,
  durationMs,
});

describe('transitionLog', () => {
  it.each<[string, ProbeResult | undefined, ProbeResult, TransitionLog]>([
    ['first run ok', undefined, run('ok'), { level: 'info', msg: 'probe ok', fields: fields('ok') }],
    [
      'first run failing',
      undefined,
      run('timeout'),
      { level: 'warn', msg: 'probe failing: timeout: timeout after 10s in initialize', fields: fields('timeout') },
    ],
    [
      'ok → failing',
      run('ok'),
      run('connect_error', { durationMs: 3 }),
      {
        level: 'warn',
        msg: 'probe failing: connect_error: connection refused by litellm.lan:4000: is the gateway running and listening there? (ECONNREFUSED)',
        fields: fields('connect_error', 3),
      },
    ],
    [
      'one failure → another failure',
      run('timeout'),
      run('auth_rejected'),
      {
        level: 'warn',
        msg: 'probe failing: auth_rejected: 401 Unauthorized from lan: the key was rejected',
        fields: fields('auth_rejected'),
      },
    ],
    [
      'recovery',
      run('timeout'),
      run('ok'),
      { level: 'info', msg: 'probe recovered (was timeout)', fields: fields('ok') },
    ],
    [
      'recovery from another outcome',
      run('internal_error'),
      run('ok'),
      { level: 'info', msg: 'probe recovered (was internal_error)', fields: fields('ok') },
    ],
    [
      'ok again',
      run('ok'),
      run('ok', { durationMs: 80 }),
      { level: 'debug', msg: 'probe run', fields: { ...fields('ok', 80), reason: 'listed 12 tools' } },
    ],
    [
      'the same failure again (even with another reason)',
      run('timeout'),
      run('timeout', { reason: 'timeout after 10s in list_tools' }),
      { level: 'debug', msg: 'probe run', fields: { ...fields('timeout'), reason: 'timeout after 10s in list_tools' } },
    ],
  ])('%s', (_name, prev, result, expected) => {
    expect(transitionLog(prev, result)).toEqual(expected);
  });

  it('takes the fields from the new result', () => {
    const log = transitionLog(
      run('ok'),
      run('ok', { probe: 'web', target: 'wan', type: 'http', durationMs: 7 } as Partial<ProbeResult>),
    );
    expect(log.fields).toEqual({
      probe: 'web',
      target: 'wan',
      type: 'http',
      outcome: 'ok',
      durationMs: 7,
      reason: 'listed 12 tools',
    });
  });

  it('keeps the reason out of the fields of a transition (it is in the message)', () => {
    expect(transitionLog(undefined, run('timeout')).fields).not.toHaveProperty('reason');
    expect(transitionLog(run('timeout'), run('ok')).fields).not.toHaveProperty('reason');
  });
});

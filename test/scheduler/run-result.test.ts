import { describe, expect, it } from 'vitest';
import type { Probe } from '../../src/config/parse.js';
import type { OAuthFacts, ProbeOutput, TlsFacts } from '../../src/probes/types.js';
import { assembleResult, type RunFacts } from '../../src/scheduler/run-result.js';
import { Redactor } from '../../src/util/redact.js';

const probe = { name: 'p', type: 'http', target: 't' } as Probe;
const KEY = 'sk-1234567890abcdefghijwxyz';
const run: RunFacts = {
  trigger: 'manual',
  startedAt: 1_000,
  durationMs: 12.3456789,
  phases: { http: 12.345 },
  steps: [{ t: 1, msg: `GET / with ${KEY}` }],
  tls: undefined,
  oauth: undefined,
};
const tls: TlsFacts = {
  version: 'TLSv1.3',
  subject: 'CN=gw',
  issuer: 'CN=ca',
  notAfter: 2,
  earliestNotAfter: 2,
  earliestSubject: 'CN=gw',
  chainLength: 2,
  authorized: true,
};
const oauth: OAuthFacts = {
  grant: 'client_credentials',
  clientId: 'mcpwatch',
  authMethod: 'client_secret_basic',
  scopes: [],
  token: 'requested',
  requests: [],
};

describe('assembleResult', () => {
  it.each([
    [
      'a success',
      { outcome: 'ok', reason: 'HTTP 200' },
      run,
      { outcome: 'ok', success: true, reason: 'HTTP 200', durationMs: 12.346 },
    ],
    [
      'a failure, its details kept',
      { outcome: 'http_error', reason: 'HTTP 500', details: { status: 500 } },
      run,
      { outcome: 'http_error', success: false, details: { status: 500 } },
    ],
    [
      'keys masked in the reason, the details and the steps',
      { outcome: 'auth_rejected', reason: `refused ${KEY}`, details: { sent: KEY } },
      run,
      { reason: 'refused sk-…wxyz', details: { sent: 'sk-…wxyz' }, steps: [{ t: 1, msg: 'GET / with sk-…wxyz' }] },
    ],
    ['what TLS showed', { outcome: 'ok', reason: '' }, { ...run, tls }, { tls }],
    ['the OAuth facts', { outcome: 'ok', reason: '' }, { ...run, oauth }, { oauth }],
  ] as const)('%s', (_name, out, facts, want) => {
    expect(assembleResult(probe, out as ProbeOutput, facts as RunFacts, new Redactor())).toMatchObject(want);
  });

  it('holds the run and its probe, in one order; what the run did not have is left out', () => {
    const res = assembleResult(probe, { outcome: 'ok', reason: 'fine' }, run, new Redactor());
    expect(Object.keys(res)).toEqual([
      'probe',
      'type',
      'target',
      'outcome',
      'success',
      'reason',
      'trigger',
      'startedAt',
      'durationMs',
      'phases',
      'steps',
    ]);
    expect(res).toMatchObject({ probe: 'p', type: 'http', target: 't', trigger: 'manual', startedAt: 1_000 });
  });

  it('copies the OAuth facts: the run keeps its own', () => {
    const res = assembleResult(probe, { outcome: 'ok', reason: '' }, { ...run, oauth }, new Redactor());
    expect(res.oauth).toEqual(oauth);
    expect(res.oauth).not.toBe(oauth);
  });
});

import { describe, expect, it } from 'vitest';
import { EraMemory, planEra, RENEGOTIATE_AFTER_MS } from '../../../src/probes/mcp/eras.js';
import type { Target } from '../../../src/config/target.js';
import { lanTarget } from './test-run.js';

const at = (protocol: string, over: Partial<Target> = {}): Target => lanTarget({ protocol, ...over });

describe('planEra: the SDK mode of each protocol setting', () => {
  const protocols = new EraMemory();
  it.each<[string, Partial<Target>, object]>([
    ['auto', {}, { mode: 'auto', remember: true }],
    ['legacy', {}, { mode: 'legacy', remember: false }],
    ['modern', {}, { mode: { pin: '2026-07-28' }, remember: false }],
    ['2026-07-28', {}, { mode: { pin: '2026-07-28' }, remember: false }],
    ['2025-06-18', {}, { mode: 'legacy', exactLegacy: '2025-06-18', remember: false }],
    ['auto', { transport: 'sse' }, { mode: 'legacy', remember: false }],
  ])('%s %j → %j', (protocol, over, plan) => {
    expect(planEra({ target: at(protocol, over), protocols })).toEqual(plan);
  });
});

describe('EraMemory: what protocol: auto remembers per target', () => {
  it('a legacy era is used until 10 minutes after its negotiation, then negotiated again', () => {
    let now = 1_000;
    const protocols = new EraMemory(() => now);
    const target = at('auto');
    protocols.remember(target, 'legacy', '2025-11-25');
    expect(planEra({ target, protocols })).toEqual({
      mode: 'legacy',
      remembered: { era: 'legacy', version: '2025-11-25', at: 1_000 },
      remember: false,
    });
    // Every probe of the target shares it; another target (or the same name at another URL) does not.
    expect(planEra({ target: { ...target }, protocols }).mode).toBe('legacy');
    expect(planEra({ target: at('auto', { url: 'http://other:4000' }), protocols }).mode).toBe('auto');
    expect(planEra({ target, protocols }, true).mode).toBe('auto'); // negotiating again on purpose
    now += RENEGOTIATE_AFTER_MS;
    expect(planEra({ target, protocols })).toEqual({ mode: 'auto', remember: true });
  });

  it('a modern era is negotiated every run (server/discover is its handshake); forget() drops what was known', () => {
    const protocols = new EraMemory();
    const target = at('auto');
    protocols.remember(target, 'modern', '2026-07-28');
    expect(planEra({ target, protocols }).mode).toBe('auto');
    protocols.remember(target, 'legacy', '2025-11-25');
    protocols.forget(target);
    expect(protocols.get(target)).toBeUndefined();
  });
});

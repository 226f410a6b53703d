import { describe, expect, it, vi } from 'vitest';
import { defineSeries, lazyRun } from '../../src/probes/probe-type.js';
import type { ProbeContext, ProbeOutput } from '../../src/probes/types.js';

type Spec = { name: string };
const ctx = { timeoutMs: 1000 } as ProbeContext;

/** A loader whose module's run answers with the probe's name; both are spies. */
function loader() {
  const run = vi.fn(async (spec: Spec, _ctx: ProbeContext): Promise<ProbeOutput> => ({
    outcome: 'ok',
    reason: spec.name,
  }));
  const load = vi.fn(async () => ({ run }));
  return { run, load };
}

describe('lazyRun', () => {
  it('loads nothing until the first run', () => {
    const { load } = loader();
    lazyRun(load);
    expect(load).not.toHaveBeenCalled();
  });

  it('loads once over several runs', async () => {
    const { run, load } = loader();
    const lazy = lazyRun(load);
    for (const name of ['a', 'b', 'c']) await lazy({ name }, ctx);
    expect(load).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('concurrent first runs share one load', async () => {
    const { run, load } = loader();
    const lazy = lazyRun(load);
    const outs = await Promise.all(['a', 'b', 'c'].map((name) => lazy({ name }, ctx)));
    expect(load).toHaveBeenCalledTimes(1);
    expect(run).toHaveBeenCalledTimes(3);
    expect(outs.map((o) => o.reason)).toEqual(['a', 'b', 'c']);
  });

  it("passes the spec and the context through, and returns the run's output", async () => {
    const { run, load } = loader();
    const spec = { name: 'p' };
    await expect(lazyRun(load)(spec, ctx)).resolves.toEqual({ outcome: 'ok', reason: 'p' });
    expect(run).toHaveBeenCalledWith(spec, ctx);
    expect(run.mock.calls[0]![0]).toBe(spec);
    expect(run.mock.calls[0]![1]).toBe(ctx);
  });
});

describe('defineSeries', () => {
  it('returns the definition itself', () => {
    const def = {
      families: { g: { kind: 'gauge', name: 'x_g', help: 'h', labels: [] } },
      init: () => 0,
      record: () => {},
      forget: () => {},
    } as const;
    expect(defineSeries<object, typeof def.families, number>(def)).toBe(def);
  });
});

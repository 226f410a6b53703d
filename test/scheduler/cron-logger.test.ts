import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';

// node-cron's logger as it is set: the test calls it as node-cron would.
const set = vi.hoisted(() => ({ logger: undefined as Record<string, (...a: unknown[]) => void> | undefined }));
vi.mock('node-cron', () => ({
  setLogger: (l: Record<string, (...a: unknown[]) => void>) => {
    set.logger = l;
  },
}));

const { useCronLogger } = await import('../../src/scheduler/cron-logger.js');

describe('useCronLogger', () => {
  const lines: Array<Record<string, unknown>> = [];
  useCronLogger(pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l)) }));
  const cron = set.logger!;
  const err = new Error('task failed');

  it.each([
    ['info, at debug (its chatter)', () => cron.info!('task started'), { level: 20, msg: 'task started' }],
    ['warn', () => cron.warn!('missed execution'), { level: 40, msg: 'missed execution' }],
    ['debug', () => cron.debug!('tick'), { level: 20, msg: 'tick' }],
    ['an error message and its error', () => cron.error!('task x failed', err), { level: 50, msg: 'task x failed' }],
    ['an error alone', () => cron.error!(err), { level: 50, msg: 'Error: task failed' }],
  ])('%s', (_name, call, want) => {
    lines.length = 0;
    call();
    expect(lines).toEqual([expect.objectContaining({ ...want, component: 'node-cron' })]);
  });

  it('keeps the error with its stack', () => {
    lines.length = 0;
    cron.error!(err);
    expect(lines[0]).toMatchObject({ err: { message: 'task failed', stack: expect.stringContaining('Error') } });
  });
});

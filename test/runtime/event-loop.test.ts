import { afterEach, describe, expect, it } from 'vitest';
import { EventLoopMonitor } from '../../src/runtime/event-loop.js';

/** Blocks the event loop for `ms`. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: nothing else runs meanwhile
  }
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('EventLoopMonitor', () => {
  let monitor: EventLoopMonitor | undefined;
  afterEach(() => monitor?.stop());

  /** A monitor that samples every `intervalMs` and keeps the delays of `windowMs`, started (stopped after the test). */
  function started(intervalMs: number, windowMs: number): EventLoopMonitor {
    monitor = new EventLoopMonitor(intervalMs, windowMs);
    monitor.start();
    return monitor;
  }

  it('reports no delay before it starts', () => {
    monitor = new EventLoopMonitor(20, 1_000);
    block(50);
    expect(monitor.maxDelayMs()).toBe(0);
  });

  it('sees a block, also while it is still under way, and keeps it for the window', async () => {
    const m = started(20, 1_000);
    await tick(30);
    block(150);
    // The timer has not fired yet: the delay building up counts.
    expect(m.maxDelayMs()).toBeGreaterThanOrEqual(100);
    await tick(60);
    expect(m.maxDelayMs()).toBeGreaterThanOrEqual(100);
  });

  it('forgets a block once the window has passed', async () => {
    const m = started(10, 150);
    await tick(20);
    block(250);
    await tick(20);
    expect(m.maxDelayMs()).toBeGreaterThanOrEqual(200);
    await tick(400);
    expect(m.maxDelayMs()).toBeLessThan(200);
  });

  it('start is idempotent; stop stops the measuring', async () => {
    const m = started(10, 1_000);
    m.start();
    m.stop();
    block(60);
    await tick(20);
    expect(m.maxDelayMs()).toBe(0);
    m.stop();
  });
});

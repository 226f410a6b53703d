/**
 * Watches the event loop: a timer that should fire every `intervalMs` measures how late it
 * fires. The worst delay over the last `windowMs` is kept, so a block is still visible to the
 * next /health request after the loop has recovered.
 */
export class EventLoopMonitor {
  private timer: NodeJS.Timeout | undefined;
  private samples: Array<{ at: number; delay: number }> = [];
  private last = 0;

  constructor(
    private readonly intervalMs = 250,
    private readonly windowMs = 10_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const delay = Math.max(0, now - this.last - this.intervalMs);
      this.last = now;
      this.samples.push({ at: now, delay });
      const cutoff = now - this.windowMs;
      while (this.samples.length > 0 && this.samples[0]!.at < cutoff) this.samples.shift();
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The worst delay seen in the window, including the one building up right now. */
  maxDelayMs(): number {
    const pending = this.timer ? Math.max(0, performance.now() - this.last - this.intervalMs) : 0;
    return Math.round(this.samples.reduce((m, s) => Math.max(m, s.delay), pending));
  }
}

/**
 * One timer for a time that moves (the earliest record waiting for continuation lines): set again only when that time
 * changes. When it fires, `onDue` does what was due and returns the next time, if there is one.
 */
export class DueTimer {
  private timer: NodeJS.Timeout | undefined;
  private at: number | undefined;

  constructor(private readonly onDue: () => number | undefined) {}

  /** Fires at `at` (epoch ms), or never when undefined. */
  set(at: number | undefined): void {
    if (at === this.at) return;
    clearTimeout(this.timer);
    this.at = at;
    if (at !== undefined) this.timer = setTimeout(this.fire, Math.max(0, at - Date.now()));
  }

  clear(): void {
    this.set(undefined);
  }

  private readonly fire = (): void => {
    this.at = undefined;
    this.set(this.onDue());
  };
}

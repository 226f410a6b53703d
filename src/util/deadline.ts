export type Settled = 'fulfilled' | 'rejected' | 'timeout';

/** How `p` settles within `ms`; it is never left to reject unhandled, and the timer is cleared. */
export async function settleWithin(p: Promise<unknown>, ms: number): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled>((resolve) => {
    timer = setTimeout(resolve, ms, 'timeout');
  });
  try {
    return await Promise.race([
      p.then(
        (): Settled => 'fulfilled',
        (): Settled => 'rejected',
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

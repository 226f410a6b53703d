/**
 * Docker delivers a busy log in many small chunks: the chunks that arrive in one turn of the event loop are handed on
 * together, so that the work done per batch (counters, cursor, timer) is done once for all of them.
 */
export class ChunkBatch {
  private pending: Buffer[] = [];

  constructor(private readonly onBatch: (chunks: Buffer[]) => void) {}

  add(chunk: Buffer): void {
    if (this.pending.push(chunk) === 1) setImmediate(this.drain);
  }

  /** Hands on what is pending now, possibly nothing (also when the stream ends: what came before still counts). */
  readonly drain = (): void => {
    const chunks = this.pending;
    this.pending = [];
    this.onBatch(chunks);
  };
}

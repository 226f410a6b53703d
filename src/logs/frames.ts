/**
 * Docker's multiplexed log stream (non-TTY containers): frames of an 8-byte header
 * `[stream, 0, 0, 0, size (4 bytes, big-endian)]` and `size` bytes of payload. Frames arrive split
 * and merged across chunks however the socket delivers them; this decoder is incremental.
 * With `timestamps=1`, each frame carries one log message (or one 16 KiB part of a long one).
 */

export type StreamName = 'stdout' | 'stderr';

export interface Frame {
  stream: StreamName;
  payload: Buffer;
}

/** Frames larger than this are not Docker's (it splits messages at 16 KiB): the stream is corrupt. */
export const MAX_FRAME_BYTES = 1024 * 1024;

export class FrameError extends Error {
  override name = 'FrameError';
  /** The good frames of the chunk, before the corruption: they still count. */
  frames: Frame[] = [];
}

export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds a chunk; returns the frames it completed. Throws FrameError on a corrupt header. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= 8) {
      const type = this.buf[off]!;
      if ((type !== 0 && type !== 1 && type !== 2) || this.buf[off + 1] !== 0 || this.buf[off + 2] !== 0 || this.buf[off + 3] !== 0) {
        const err = new FrameError(`corrupt log frame header ${this.bytesAt(off)}`);
        err.frames = frames;
        this.buf = Buffer.alloc(0);
        throw err;
      }
      const size = this.buf.readUInt32BE(off + 4);
      if (size > MAX_FRAME_BYTES) {
        const err = new FrameError(`log frame of ${size} bytes is larger than Docker sends`);
        err.frames = frames;
        this.buf = Buffer.alloc(0);
        throw err;
      }
      if (this.buf.length - off - 8 < size) break;
      // stdin (0) never carries logs; Docker labels stdout 1 and stderr 2.
      frames.push({ stream: type === 2 ? 'stderr' : 'stdout', payload: this.buf.subarray(off + 8, off + 8 + size) });
      off += 8 + size;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
    return frames;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  private bytesAt(off: number): string {
    return [...this.buf.subarray(off, off + 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  }
}

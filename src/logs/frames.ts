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

const EMPTY = Buffer.alloc(0);

export class FrameDecoder {
  private buf: Buffer = EMPTY;

  /** Feeds a chunk; returns the frames it completed. Throws FrameError on a corrupt header. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    const collect = (stream: StreamName, buf: Buffer, start: number, end: number): void =>
      void frames.push({ stream, payload: buf.subarray(start, end) });
    try {
      this.decode(chunk, collect);
    } catch (err) {
      if (err instanceof FrameError) err.frames = frames;
      throw err;
    }
    return frames;
  }

  /**
   * Feeds a chunk and calls `onFrame` with each completed frame's payload, in place (no copy,
   * no object per frame: this is the hot path). Throws FrameError on a corrupt header, after
   * `onFrame` has seen the good frames before it.
   */
  decode(chunk: Buffer, onFrame: (stream: StreamName, buf: Buffer, start: number, end: number) => void): void {
    let data = chunk;
    if (this.buf.length > 0) {
      // Complete the frame held back with just the bytes it needs: the rest of the chunk is read
      // in place (copying every 64 KiB chunk onto the leftover would copy the whole stream).
      const have = this.buf.length;
      const headerMissing = Math.max(0, 8 - have);
      if (chunk.length < headerMissing) {
        this.buf = Buffer.concat([this.buf, chunk]);
        return;
      }
      const header = have >= 8 ? this.buf.subarray(0, 8) : Buffer.concat([this.buf, chunk.subarray(0, headerMissing)]);
      this.check(header, 0);
      const total = 8 + header.readUInt32BE(4);
      const need = total - have;
      if (chunk.length < need) {
        this.buf = Buffer.concat([this.buf, chunk]);
        return;
      }
      const whole = Buffer.concat([this.buf, chunk.subarray(0, need)]);
      this.buf = EMPTY;
      onFrame(whole[0] === 2 ? 'stderr' : 'stdout', whole, 8, whole.length);
      data = chunk.subarray(need);
    }
    let off = 0;
    while (data.length - off >= 8) {
      this.check(data, off);
      const size = data.readUInt32BE(off + 4);
      if (data.length - off - 8 < size) break;
      // stdin (0) never carries logs; Docker labels stdout 1 and stderr 2.
      onFrame(data[off] === 2 ? 'stderr' : 'stdout', data, off + 8, off + 8 + size);
      off += 8 + size;
    }
    if (off < data.length) this.buf = Buffer.from(data.subarray(off));
  }

  /** Throws FrameError when the header at `off` is not Docker's. */
  private check(buf: Buffer, off: number): void {
    const type = buf[off]!;
    let why: string | undefined;
    if ((type !== 0 && type !== 1 && type !== 2) || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) {
      const header = [...buf.subarray(off, off + 8)].map((b) => b.toString(16).padStart(2, '0'));
      why = `corrupt log frame header ${header.join(' ')}`;
    } else {
      const size = buf.readUInt32BE(off + 4);
      if (size > MAX_FRAME_BYTES) why = `log frame of ${size} bytes is larger than Docker sends`;
    }
    if (why === undefined) return;
    this.buf = EMPTY;
    throw new FrameError(why);
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }
}

/** One frame of Docker's multiplexed log stream: 8-byte header (stream, 0, 0, 0, length BE) + payload. */
export function frame(stream: number, payload: string | Buffer): Buffer {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(p.length, 4);
  return Buffer.concat([h, p]);
}

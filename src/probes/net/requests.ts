import type { Target } from '../../config/target.js';
import { VERSION } from '../../version.js';

export const USER_AGENT = `mcpwatch/${VERSION}`;

/** `host:port` of a target, for reasons. */
export function hostPortOf(target: Target): string {
  const u = new URL(target.url);
  return u.port ? `${u.hostname}:${u.port}` : `${u.hostname}:${u.protocol === 'https:' ? 443 : 80}`;
}

/** The Authorization value for a key, adding the `Bearer ` prefix LiteLLM requires when it is missing. */
export function bearer(key: string): string {
  return /^bearer\s/i.test(key) ? key : `Bearer ${key}`;
}

/** The gateway key as the target sends it: `{ [apiKeyHeader]: "Bearer <key>" }`, or nothing without a key. */
export function keyHeaders(target: Pick<Target, 'apiKey' | 'apiKeyHeader'>): Record<string, string> {
  return target.apiKey === undefined ? {} : { [target.apiKeyHeader]: bearer(target.apiKey) };
}

/** The SSO gate's access token as the request sends it (`Authorization: Bearer <token>`), or nothing without one. */
export function ssoHeaders(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/**
 * Reads a body stream up to `max` bytes, then stops reading and destroys the stream, so a
 * huge or endless response costs at most `max` bytes of memory.
 */
export async function readLimited(
  body: AsyncIterable<Buffer | Uint8Array> & { destroy?: (err?: Error) => void },
  max: number,
): Promise<{ text: string; truncated: boolean; bytes: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (size + buf.length > max) {
      chunks.push(buf.subarray(0, max - size));
      size = max;
      truncated = true;
      break;
    }
    chunks.push(buf);
    size += buf.length;
  }
  if (truncated) body.destroy?.();
  return { text: Buffer.concat(chunks).toString('utf8'), truncated, bytes: size };
}

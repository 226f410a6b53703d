import { createHash, timingSafeEqual } from 'node:crypto';
import { compare } from 'bcryptjs';

/** How many checked (user, hash, password) triples are remembered: bcrypt is slow by design (~70 ms at cost 10). */
const CACHE_SIZE = 100;

/** `Authorization: Basic …` as Go's `Request.BasicAuth` reads it; undefined when it is not basic auth. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  if (!header || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Basic auth against the web config's users (bcrypt hashes), as the exporter-toolkit checks it: the user is found
 * in constant time (every name compared by digest), an unknown user is checked against a real hash anyway (no
 * timing tells which names exist), one bcrypt comparison runs at a time, and its verdict is cached per user, hash
 * and password (by a digest: no password is kept), so a scraper's every request does not pay bcrypt again.
 */
export class BasicAuth {
  private readonly users: ReadonlyArray<{ name: Buffer; hash: string }>;
  private readonly cache = new Map<string, boolean>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(users: Readonly<Record<string, string>>) {
    this.users = Object.entries(users).map(([name, hash]) => ({ name: digest(name), hash }));
  }

  get enabled(): boolean {
    return this.users.length > 0;
  }

  /** Whether `Authorization` carries a configured user and that user's password. */
  async check(header: string | undefined): Promise<boolean> {
    const creds = parseBasicAuth(header);
    if (!creds || this.users.length === 0) return false;
    const name = digest(creds.user);
    let found: { hash: string } | undefined;
    for (const u of this.users) if (timingSafeEqual(u.name, name) && !found) found = u;
    const hash = (found ?? this.users[0]!).hash;
    const key = createHash('sha256').update(creds.user).update('\0').update(hash).update('\0').update(creds.password);
    const cacheKey = key.digest('base64');
    let ok = this.cache.get(cacheKey);
    if (ok === undefined) {
      ok = await this.serially(() => compare(creds.password, hash));
      if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(cacheKey, ok);
    }
    return ok && found !== undefined;
  }

  /** One bcrypt comparison at a time (it is CPU work; bcryptjs yields to the event loop between its rounds). */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

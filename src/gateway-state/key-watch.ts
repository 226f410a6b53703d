import type { Target } from '../config/target.js';
import type { Logger } from '../util/logger.js';
import { budgetRemaining, mask, parseKeyInfo, type KeyInfo, type KeyInfoState } from './key-info.js';
import { gatewayGet } from './readiness.js';
import { joinUrl } from '../util/url.js';

/** How often each named key asks the gateway about itself. */
export const KEYS_EVERY_MS = 300_000;
/** How often again when the gateway keeps no keys (no database): it changes with a restart, which asks sooner. */
export const KEYS_UNAVAILABLE_EVERY_MS = 3_600_000;
/** After a container tied to the target started: ask this soon (a restart may bring a database, or take it away). */
export const KEYS_AFTER_START_MS = 30_000;
/** The first ask, this long after the targets are known (start-up belongs to the probes). */
export const KEYS_FIRST_MS = 10_000;
const TIMEOUT_MS = 10_000;

/** One ask: what the gateway said of `key` (asked with that key). Never throws. */
export type KeyInfoReader = (
  target: Target,
  key: { name: string; value: string },
  signal: AbortSignal,
) => Promise<KeyInfo>;

/** One named key in /status. Times ISO; money in the gateway's unit (LiteLLM: USD). */
export interface KeyLifetimeStatus {
  key: string;
  /** `pending` (not asked yet), `not_asked` (see `message`), or what the last ask said (KeyInfo's states). */
  state: KeyInfoState | 'pending' | 'not_asked';
  askedAt: string | null;
  expiresAt: string | null;
  maxBudget: number | null;
  spend: number | null;
  budgetRemaining: number | null;
  blocked: boolean | null;
  /** What is wrong, in words (absent when all is well, and for a gateway without a database: see `lifetimes`). */
  message?: string;
}

/** One target's named keys in /status. */
export interface TargetKeysStatus {
  target: string;
  /**
   * Said once for the whole target when no key's lifetime can be known: `unavailable: …` (the gateway has no database,
   * or the target is behind an SSO gate). Absent otherwise.
   */
  lifetimes?: string;
  keys: KeyLifetimeStatus[];
}

interface KeyState {
  target: Target;
  name: string;
  value: string | undefined;
  nextAt: number;
  askedAt?: number;
  last?: KeyInfo;
}

/**
 * Each named key of each target (`targets.NAME.keys`) asks the gateway about itself (`GET /key/info` with the key in
 * the target's key header): when it expires, its budget and spend, whether it is blocked. Every 5 minutes; every hour
 * while the gateway has no database (said once, not as a failure each time), and soon after a container tied to the
 * target started. The target's own key is not asked: it is usually the master key, which has no lifetime in
 * LiteLLM's key table. Tells `onChange` each key's answer (undefined: the key is gone), and logs a change of state
 * once. No key's value is ever logged, shown or kept in what it reports.
 */
export class KeyWatch {
  private readonly keys = new Map<string, KeyState>();
  private order: Array<{ target: string; keys: string[] }> = [];
  private asking = false;
  private readonly aborts = new AbortController();

  constructor(
    private readonly read: KeyInfoReader,
    private readonly onChange: (target: string, key: string, info: KeyInfo | undefined) => void,
    private readonly logger: Logger,
    private readonly firstAfterMs = KEYS_FIRST_MS,
  ) {}

  /** Ends the asks under way; no more are made. */
  stop(): void {
    this.aborts.abort();
  }

  /** The targets whose keys to ask (a reload): a new or changed key asked at the next tick, a removed one forgotten. */
  setTargets(targets: Readonly<Record<string, Target>>, now = Date.now()): void {
    const wanted = new Map<string, { target: Target; name: string; value: string | undefined }>();
    for (const target of Object.values(targets))
      for (const [name, k] of Object.entries(target.keys ?? {}))
        wanted.set(id(target.name, name), { target, name, value: k.apiKey });
    for (const [k, s] of [...this.keys]) {
      if (wanted.has(k)) continue;
      this.keys.delete(k);
      if (s.last) this.onChange(s.target.name, s.name, undefined);
    }
    for (const [k, w] of wanted) {
      const s = this.keys.get(k);
      if (s && s.value === w.value && sameGateway(s.target, w.target)) {
        s.target = w.target;
        continue;
      }
      // A changed key (rotated, another gateway) is another key: what the old one said is dropped.
      if (s?.last) this.onChange(w.target.name, w.name, undefined);
      this.keys.set(k, { ...w, nextAt: now + (s ? 0 : this.firstAfterMs) });
    }
    this.order = Object.values(targets)
      .filter((t) => Object.keys(t.keys ?? {}).length > 0)
      .map((t) => ({ target: t.name, keys: Object.keys(t.keys ?? {}) }));
  }

  /** A container tied to the target started: its keys are asked again soon. */
  started(target: string, now = Date.now()): void {
    for (const s of this.keys.values())
      if (s.target.name === target) s.nextAt = Math.min(s.nextAt, now + KEYS_AFTER_START_MS);
  }

  /** Asks the keys that are due, one after another. */
  async tick(now = Date.now()): Promise<void> {
    if (this.asking || this.aborts.signal.aborted) return;
    this.asking = true;
    try {
      for (const s of [...this.keys.values()]) {
        if (now < s.nextAt || s.value === undefined || behindSso(s.target)) continue;
        const info = await this.read(s.target, { name: s.name, value: s.value }, this.aborts.signal);
        if (this.aborts.signal.aborted) return;
        if (this.keys.get(id(s.target.name, s.name)) !== s) continue; // removed or changed by a reload meanwhile
        const at = Date.now();
        this.logChange(s, info);
        s.last = info;
        s.askedAt = at;
        s.nextAt = at + (info.state === 'no_database' ? KEYS_UNAVAILABLE_EVERY_MS : KEYS_EVERY_MS);
        this.onChange(s.target.name, s.name, info);
      }
    } finally {
      this.asking = false;
    }
  }

  status(): TargetKeysStatus[] {
    return this.order.map(({ target, keys }) => {
      const states = keys.flatMap((k) => this.keys.get(id(target, k)) ?? []);
      const noDb = states.length > 0 && states.every((s) => s.last?.state === 'no_database');
      const sso = states.length > 0 && behindSso(states[0]!.target);
      const first = states[0]?.last;
      const lifetimes = sso
        ? 'unavailable: the target is behind an SSO gate (oauth2); mcpwatch asks /key/info only without one'
        : noDb && first?.state === 'no_database'
          ? `unavailable: the gateway has no database (it answered ${first.status}: "${first.said}")`
          : undefined;
      return {
        target,
        ...(lifetimes && { lifetimes }),
        keys: states.map((s) => keyStatus(s, noDb || sso)),
      };
    });
  }

  private logChange(s: KeyState, info: KeyInfo): void {
    if (s.last?.state === info.state) return;
    const where = { target: s.target.name, key: s.name };
    if (info.state === 'ok') {
      if (s.last) this.logger.info(where, 'key lifetime: the gateway answers about the key again');
    } else if (info.state === 'no_database') {
      // Once for the target: its other keys would say the same.
      const said = [...this.keys.values()].some(
        (o) => o !== s && o.target.name === s.target.name && o.last?.state === 'no_database',
      );
      if (said) return;
      this.logger.info(
        { target: s.target.name, said: info.said },
        'key lifetimes unavailable: the gateway has no database (asked again every hour and after a restart)',
      );
    } else {
      this.logger.warn({ ...where, said: info.said }, `key lifetime: ${problemOf(info)}`);
    }
  }
}

/**
 * Marks mcpwatch's own requests (a query parameter the gateway's access line prints), so that the auth errors a
 * refused ask provokes in the gateway's log count as mcpwatch's (origin="probe"), not a client's: the guard's
 * correlator (correlate/guard.ts) is one.
 */
export interface OwnRequestMarks {
  begin(what: 'key_info'): { query: string; end(): void };
}

/** The reader of GET /key/info, each ask marked through `marks` when given. */
export function keyInfoReader(marks?: OwnRequestMarks): KeyInfoReader {
  return async (target, key, signal) => {
    const url = joinUrl(target.url, '/key/info');
    const mark = marks?.begin('key_info');
    try {
      const a = await gatewayGet(target, mark ? `${url}?${mark.query}` : url, {
        timeoutMs: TIMEOUT_MS,
        signal,
        headers: { ...target.headers, [target.apiKeyHeader]: `Bearer ${key.value}` },
      });
      if ('error' in a)
        return { state: 'error', status: null, said: `could not ask ${url}: ${mask(a.error, key.value)}` };
      return parseKeyInfo(a.status, a.text, key.value);
    } finally {
      mark?.end();
    }
  };
}

function keyStatus(s: KeyState, unavailable: boolean): KeyLifetimeStatus {
  const l = s.last;
  const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
  const base: KeyLifetimeStatus = {
    key: s.name,
    state: s.value === undefined || behindSso(s.target) ? 'not_asked' : (l?.state ?? 'pending'),
    askedAt: iso(s.askedAt),
    expiresAt: l && (l.state === 'ok' || l.state === 'expired') ? iso(l.expiresAt) : null,
    maxBudget: l?.state === 'ok' ? l.maxBudget : null,
    spend: l?.state === 'ok' ? l.spend : null,
    budgetRemaining: l?.state === 'ok' ? budgetRemaining(l) : null,
    blocked: l?.state === 'ok' ? l.blocked : l?.state === 'blocked' ? true : null,
  };
  if (unavailable) return base;
  if (s.value === undefined) return { ...base, message: 'the key has no value: nothing to ask with' };
  const message = l ? messageOf(l) : undefined;
  return message ? { ...base, message } : base;
}

/** What /status says of a key's last answer; undefined when all is well. */
function messageOf(l: KeyInfo): string | undefined {
  if (l.state !== 'ok') return problemOf(l);
  if (l.blocked) return 'the key is blocked';
  if (l.expiresAt !== null && l.expiresAt <= Date.now()) return 'the key has expired';
  const left = budgetRemaining(l);
  if (left !== null && left <= 0) return `the key's budget is spent (${l.spend ?? 0} of ${l.maxBudget})`;
  return undefined;
}

function problemOf(l: Exclude<KeyInfo, { state: 'ok' }>): string {
  switch (l.state) {
    case 'expired':
      return `the gateway refuses the key: it has expired (the gateway said: ${l.said})`;
    case 'blocked':
      return `the gateway refuses the key: it is blocked (the gateway said: ${l.said})`;
    case 'refused':
      return (
        `the gateway refuses the key (${l.status}): it is invalid, deleted or rotated, or may not read its own ` +
        `info (the gateway said: ${l.said})`
      );
    case 'no_database':
      return `unavailable: the gateway has no database (it answered ${l.status}: "${l.said}")`;
    case 'error':
      return l.status === null ? l.said : `could not read the key's info: HTTP ${l.status}: ${l.said}`;
  }
}

/** Whether the target sends its key behind an SSO gate: /key/info would need the gate's token, which this has not. */
function behindSso(t: Target): boolean {
  return t.oauth2 !== undefined;
}

function sameGateway(a: Target, b: Target): boolean {
  const of = (t: Target): string =>
    JSON.stringify([t.url, t.apiKeyHeader, t.headers, t.tls, t.tlsFiles, t.oauth2 !== undefined]);
  return of(a) === of(b);
}

function id(target: string, key: string): string {
  return `${target}\u0000${key}`;
}

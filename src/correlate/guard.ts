import type { AuthCheck } from '../probes/auth-guard/schema.js';
import { tsToMs } from '../logs/lines.js';
import type { LogRecord } from '../logs/records.js';
import type { Match } from '../logs/rules.js';
import { guardMarkerIn, guardQuery, newGuardMarker, quotesGuardKey } from '../probes/guard-marks.js';
import type { GuardAnnouncer, GuardRequest } from '../probes/types.js';

/** Who provoked a matched log record: mcpwatch's own auth_guard, or anyone else. */
export const ORIGINS = ['external', 'probe'] as const;
export type Origin = (typeof ORIGINS)[number];

/**
 * Tells the auth errors mcpwatch's own auth_guard provokes in LiteLLM's log (origin="probe")
 * from everyone else's (origin="external"), so a guard run does not raise the auth-error alert
 * and a real client's error is never hidden by one.
 *
 * What it uses, strongest first:
 * - the marker: every guard request goes to `{mcpPath}?mcpwatch_guard=<nonce>`, which uvicorn's
 *   access line prints: an access line with it is the guard's, one without it is not;
 * - the guard's wrong key (`sk-mcpwatch-guard-…`), in LiteLLM versions that quote the key;
 * - the guard's address as LiteLLM sees it, learnt from those access lines (behind a proxy it
 *   is the proxy's): an auth record from another address is not the guard's;
 * - timing and kind: each guard request expects at most one auth record, of a kind its check
 *   can cause, logged between its sending and shortly after its answer. A request LiteLLM did
 *   not log expires unused and cannot swallow a real client's record later.
 */

/** What mcpwatch asks that may provoke an auth error: a guard check, or a named key asking about itself. */
export type OwnRequest = AuthCheck | 'key_info';

/** Auth kinds each check can provoke (LiteLLM logs a missing key on /mcp as malformed). */
const KINDS: Record<OwnRequest, ReadonlySet<string>> = {
  no_key: new Set(['missing_key', 'malformed_key', 'auth_other']),
  no_bearer_prefix: new Set(['malformed_key', 'auth_other']),
  wrong_key: new Set(['invalid_key', 'no_db', 'auth_other']),
  // Refused by the SSO gate before LiteLLM, or let through with the real key: LiteLLM logs no auth error either way.
  no_sso_token: new Set(),
  // A named key's call to a tool outside its grant: LiteLLM's refusal is no missing or invalid key.
  out_of_scope: new Set(['tool_not_allowed', 'auth_other']),
  // A named key's GET /key/info (gateway-state/key-watch.ts) that the gateway refuses: no database, the key expired,
  // blocked or unknown.
  key_info: new Set(['no_db', 'expired_key', 'blocked_key', 'invalid_key', 'auth_other']),
};

interface Pending {
  check: OwnRequest;
  marker: string;
  sentAt: number;
  endedAt?: number;
  authSeen: boolean;
  httpSeen: boolean;
}

/**
 * How long after a guard request's answer its access line may still come (written after the auth
 * record, then read through Docker): with none by then, the container's log has no access lines.
 */
export const ACCESS_LINE_GRACE_MS = 5_000;

export interface GuardCorrelatorOptions {
  /** Log time may run a little ahead of the request's start (clocks, scheduling). */
  beforeMs?: number;
  /** How long after the answer the record may still be logged and delivered. */
  afterMs?: number;
  now?: () => number;
}

export class GuardCorrelator implements GuardAnnouncer {
  private pending: Pending[] = [];
  private readonly seenAddresses = new Map<string, Set<string>>();
  /** Per container: whether the guard's access lines come there (the last verdict). */
  private readonly accessLines = new Map<string, boolean>();
  /** Per container: when (read time) the last marked access line of one of our requests was read there. */
  private readonly lastAccess = new Map<string, number>();
  /**
   * Auth records given to the guard, by container and read time: each wants one of our marked access lines read
   * there within ACCESS_LINE_GRACE_MS of it (either side: the line may come first).
   */
  private due: Array<{ container: string; at: number }> = [];
  private readonly beforeMs: number;
  private readonly afterMs: number;
  private readonly now: () => number;

  constructor(opts: GuardCorrelatorOptions = {}) {
    this.beforeMs = opts.beforeMs ?? 100;
    this.afterMs = opts.afterMs ?? 2_000;
    this.now = opts.now ?? Date.now;
  }

  /** The guard is about to send a request for `check`. */
  begin(check: OwnRequest): GuardRequest {
    this.expire();
    const p: Pending = { check, marker: newGuardMarker(), sentAt: this.now(), authSeen: false, httpSeen: false };
    this.pending.push(p);
    return {
      query: guardQuery(p.marker),
      end: () => {
        p.endedAt = this.now();
      },
    };
  }

  attribute(container: string, match: Match, rec: LogRecord): Origin {
    if (match.category === 'http' || rec.http) return this.attributeHttp(container, rec);
    if (match.category !== 'auth') return 'external';
    return this.attributeAuth(container, match, rec);
  }

  private attributeHttp(container: string, rec: LogRecord): Origin {
    const marker = guardMarkerIn(rec.http?.path ?? '');
    if (marker === undefined) return 'external';
    this.accessLine(container, rec);
    if (rec.requesterIp) {
      let set = this.seenAddresses.get(container);
      if (!set) this.seenAddresses.set(container, (set = new Set()));
      set.add(normalizeIp(rec.requesterIp));
    }
    // A marker we did not send is another mcpwatch's guard: still not a real client.
    return 'probe';
  }

  private attributeAuth(container: string, match: Match, rec: LogRecord): Origin {
    const t = rec.ts ? tsToMs(rec.ts) : this.now();
    const candidates = this.pending.filter(
      (p) =>
        !p.authSeen &&
        KINDS[p.check].has(match.kind) &&
        t >= p.sentAt - this.beforeMs &&
        t <= (p.endedAt ?? this.now()) + this.afterMs,
    );
    if (quotesGuardKey(rec.text)) {
      if (candidates[0]) this.take(candidates[0], container);
      return 'probe';
    }
    const known = this.seenAddresses.get(container);
    if (rec.requesterIp && known && known.size > 0 && !known.has(normalizeIp(rec.requesterIp))) return 'external';
    const p = candidates[0];
    if (!p) return 'external';
    this.take(p, container);
    return 'probe';
  }

  /**
   * Every access line of the log, matched or not (a guard request refused with a status no rule counts, 400, still
   * proves the access lines come): a marked one of a request of ours is seen.
   */
  accessLine(container: string, rec: LogRecord): void {
    const marker = guardMarkerIn(rec.http?.path ?? '');
    if (marker === undefined) return;
    const p = this.pending.find((x) => x.marker === marker);
    if (!p) return;
    p.httpSeen = true;
    this.lastAccess.set(container, this.now());
    this.accessLines.set(container, true);
  }

  /**
   * Per followed container, whether the origin of its auth errors can be told: false when a guard
   * request whose auth record it logged left no marked access line there within
   * ACCESS_LINE_GRACE_MS of its answer (LiteLLM drops access lines, e.g.
   * `LITELLM_DISABLE_ACCESS_LOG_PATHS`), true once one did; absent before any guard request was judged.
   */
  originCorrelation(): ReadonlyMap<string, boolean> {
    this.judge();
    return this.accessLines;
  }

  /** Forgets a container no longer followed. */
  forget(container: string): void {
    this.accessLines.delete(container);
    this.lastAccess.delete(container);
    this.due = this.due.filter((d) => d.container !== container);
    this.seenAddresses.delete(container);
  }

  /**
   * The guard's auth records whose grace is over: their container's access lines come if one of our marked lines was
   * read there around them. Per container, not per request: with several gateways a record of one can be given to a
   * request sent to another (same kind, same moment), but a container whose lines come has ours among them.
   */
  private judge(): void {
    const now = this.now();
    const left: typeof this.due = [];
    for (const d of this.due) {
      if (now < d.at + ACCESS_LINE_GRACE_MS) left.push(d);
      else {
        const last = this.lastAccess.get(d.container);
        this.accessLines.set(d.container, last !== undefined && last >= d.at - ACCESS_LINE_GRACE_MS);
      }
    }
    this.due = left;
  }

  private take(p: Pending, container: string): void {
    p.authSeen = true;
    this.due.push({ container, at: this.now() });
    if (this.due.length > 1000) this.due.shift();
  }

  /** Requests long past their window are forgotten. */
  private expire(): void {
    this.judge();
    const now = this.now();
    this.pending = this.pending.filter((p) => (p.endedAt ?? p.sentAt + 60_000) + this.afterMs + 10_000 > now);
  }
}

/** An IPv4 address as uvicorn and LiteLLM print it, with or without the IPv6 mapping. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

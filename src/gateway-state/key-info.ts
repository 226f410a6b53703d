// What a gateway says of one of its keys, asked with that key (`GET /key/info`, no `key` parameter: LiteLLM then looks
// up the key of the Authorization header). Pure: the answer's status and text in, a typed answer out.
//
// LiteLLM 1.110.2 (litellm/proxy/management_endpoints/key_management_endpoints.py, `info_key_fn`; the refusals in
// litellm/proxy/auth/user_api_key_auth.py):
// - 200 `{"key": <the key as asked: the raw key itself>, "info": {spend, max_budget, expires, blocked, status,
//   key_alias, budget_reset_at, …}}` (`expires` an ISO datetime or null, `max_budget` null when unlimited). The
//   `key` field is the caller's own key echoed back: it is never read here.
// - no database: a key other than the master key is refused by the auth itself, 400
//   `{"error": {"message": "No connected db.", "type": "no_db_connection", …}}`; a key the auth lets in (the master
//   key, a custom_auth hook's key) reaches info_key_fn, whose "Database not connected" exception is turned into 500
//   `{"error": {"message": "Internal server error from /key/info. Details are in the proxy server logs.", …}}`.
// - an expired key: 401 `{"error": {"message": "Authentication Error - Expired Key. Key Expiry time <datetime> and
//   current time <datetime>", "type": "expired_key", "param": "sk-...<last 4>", …}}`.
// - a blocked key: 401 "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin."
// - an over-budget key is not refused here: /key/info is no LLM route, so the budget check is skipped (200, spend
//   at or over max_budget).

import { Redactor } from '../util/redact.js';

/** A key's lifetime as the gateway keeps it (times in epoch ms; null: none set). */
export interface KeyLifetime {
  expiresAt: number | null;
  maxBudget: number | null;
  spend: number | null;
  blocked: boolean;
  /** LiteLLM's own word (1.110+): active, expired, revoked, deleted. */
  status: string | null;
}

/** What one ask said, as mcpwatch shows it. `said`: the gateway's own words (its `error.message`), never the key. */
export type KeyInfo =
  | ({ state: 'ok' } & KeyLifetime)
  /** The gateway refuses the key as expired (401 expired_key); when, if its words say. */
  | { state: 'expired'; expiresAt: number | null; said: string }
  /** The gateway refuses the key as blocked. */
  | { state: 'blocked'; said: string }
  /** Any other refusal (401/403): the key is unknown to the gateway (deleted, rotated, mistyped) or may not ask. */
  | { state: 'refused'; status: number; said: string }
  /** The gateway keeps no keys: it runs without a database. */
  | { state: 'no_database'; status: number; said: string }
  /** Anything else: another status, an answer that is not LiteLLM's, no answer at all. */
  | { state: 'error'; status: number | null; said: string };

export type KeyInfoState = KeyInfo['state'];

/** The longest of the gateway's words kept. */
const MAX_SAID = 300;

/** Pure: LiteLLM's answer to `GET /key/info` (status and body) as a KeyInfo. `key`: masked wherever it is echoed. */
export function parseKeyInfo(status: number, text: string, key?: string): KeyInfo {
  const body = parseJson(text);
  if (status === 200) {
    const info = isObject(body) && isObject(body.info) ? body.info : undefined;
    if (!info) return { state: 'error', status, said: 'the answer has no "info" object: is this a LiteLLM gateway?' };
    return { state: 'ok', ...lifetimeOf(info) };
  }
  const err = isObject(body) && isObject(body.error) ? body.error : isObject(body) ? body : undefined;
  const message = err ? messageOf(err) : undefined;
  const type = err && typeof err.type === 'string' ? err.type : undefined;
  const said = clip(mask(message ?? (text.trim() || `HTTP ${status}`), key));
  if (type === 'no_db_connection' || /No connected db|Database not connected/i.test(message ?? '')) {
    return { state: 'no_database', status, said };
  }
  if (status === 500 && /^Internal server error from \/key\/info\b/.test(message ?? '')) {
    return { state: 'no_database', status, said };
  }
  if (type === 'expired_key' || /Expired Key/i.test(message ?? '')) {
    return { state: 'expired', expiresAt: expiryIn(message ?? ''), said };
  }
  if (/Key is blocked/i.test(message ?? '')) return { state: 'blocked', said };
  if (status === 401 || status === 403) return { state: 'refused', status, said };
  return { state: 'error', status, said };
}

/** The lifetime fields of LiteLLM's `info` (a field of another type counts as not set). */
export function lifetimeOf(info: Readonly<Record<string, unknown>>): KeyLifetime {
  return {
    expiresAt: typeof info.expires === 'string' ? parseTime(info.expires) : null,
    maxBudget: finite(info.max_budget),
    spend: finite(info.spend),
    blocked: info.blocked === true,
    status: typeof info.status === 'string' ? info.status : null,
  };
}

/** What is left of a key's budget (max - spend), or null when it has no budget. */
export function budgetRemaining(l: Pick<KeyLifetime, 'maxBudget' | 'spend'>): number | null {
  return l.maxBudget === null ? null : l.maxBudget - (l.spend ?? 0);
}

/**
 * A time as LiteLLM writes it: ISO 8601 in JSON (`2026-12-31T00:00:00Z`, or without a zone: UTC, as LiteLLM reads it),
 * Python's `str(datetime)` in messages (`2026-12-31 00:00:00.123456+00:00`). Null when unreadable.
 */
export function parseTime(text: string): number | null {
  let t = text.trim().replace(' ', 'T');
  // Python writes microseconds; Date takes milliseconds.
  t = t.replace(/(\.\d{3})\d+/, '$1');
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(t)) t += 'Z';
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : null;
}

/** The expiry an "Expired Key" refusal names ("Key Expiry time <datetime> and current time …"). */
function expiryIn(message: string): number | null {
  const m = /Key Expiry time (.+?) and current time/.exec(message);
  return m ? parseTime(m[1]!) : null;
}

function messageOf(err: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof err.message === 'string') return err.message;
  // FastAPI's HTTPException: {"detail": "..."} or {"detail": {"error": "..."}}
  const d = err.detail;
  if (typeof d === 'string') return d;
  if (isObject(d) && typeof d.error === 'string') return d.error;
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function finite(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The key, should the gateway quote it, masked as everything mcpwatch prints is (any other `sk-…` key too). */
export function mask(text: string, key: string | undefined): string {
  const redactor = new Redactor();
  redactor.addSecrets([key]);
  return redactor.mask(text);
}

function clip(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > MAX_SAID ? `${one.slice(0, MAX_SAID - 1)}…` : one;
}

import { randomBytes } from 'node:crypto';

/**
 * How auth_guard marks its requests, so the errors they provoke in the gateway's log can be told
 * from real clients' (see correlate/guard.ts). One place for both sides.
 */

/** Every guard request goes to `{mcpPath}?mcpwatch_guard=<nonce>`, which uvicorn's access line prints. */
export const GUARD_MARKER_PARAM = 'mcpwatch_guard';

/** The wrong key the guard sends starts with this (LiteLLM versions that quote the key in their log). */
export const GUARD_KEY_PREFIX = 'sk-mcpwatch-guard-';

/** A fresh nonce for a guard request's marker. */
export function newGuardMarker(): string {
  return randomBytes(8).toString('hex');
}

/** The query string that marks a guard request. */
export function guardQuery(marker: string): string {
  return `${GUARD_MARKER_PARAM}=${marker}`;
}

/** The marker in a request path, if it is a guard request's. */
export function guardMarkerIn(path: string): string | undefined {
  const at = path.indexOf(`${GUARD_MARKER_PARAM}=`);
  return at < 0 ? undefined : path.slice(at + GUARD_MARKER_PARAM.length + 1).split('&')[0];
}

/** Whether a log text quotes the guard's wrong key. */
export function quotesGuardKey(text: string): boolean {
  return text.includes(GUARD_KEY_PREFIX);
}

/** A wrong key for one guard run. */
export function newGuardKey(): string {
  return `${GUARD_KEY_PREFIX}${randomBytes(12).toString('hex')}`;
}

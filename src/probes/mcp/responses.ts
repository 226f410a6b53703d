import type { RetryNote } from './gateway-refusals.js';
import type { ServerOutcomes } from '../types.js';

/** An HTTP response the run saw (for reasons: the SDK's errors carry the status, not the headers). */
export interface SeenResponse {
  method: string;
  url: string;
  status: number;
  location?: string;
  wwwAuthenticate?: string;
  /** How the request carried a key. */
  auth: SentAuth;
  /** The JSON-RPC method(s) a POST carried (`server/discover`, `initialize`, …). */
  rpc?: string;
  /** The start of an error answer's body. */
  body?: string;
  /** A 429's Retry-After, as sent, and what the session did about it (gateway-refusals.ts retryPlan). */
  retryAfter?: string;
  retry?: RetryNote;
  /** The servers the request named (its x-mcp-servers). */
  servers?: string;
}

/** How a request carried credentials, for hints in reasons (never the credential itself). */
export type SentAuth = 'none' | 'bearer' | 'no_scheme' | 'other_scheme';

/** How the request carried the gateway key, in `keyHeader` (the target's apiKeyHeader). */
export function sentAuth(headers: Record<string, string>, keyHeader = 'authorization'): SentAuth {
  const value = Object.entries(headers).find(([k]) => k.toLowerCase() === keyHeader)?.[1];
  if (value === undefined || value.trim() === '') return 'none';
  if (/^bearer\s/i.test(value)) return 'bearer';
  return /^[A-Za-z][\w.+-]*\s+\S/.test(value) ? 'other_scheme' : 'no_scheme';
}

export const SERVER_OUTCOMES_KEY = 'litellm.ai/server_outcomes';

/** The per-server outcomes in a result's `_meta` or an error's `data`, if the gateway sent them. */
export function serverOutcomesOf(holder: unknown): ServerOutcomes | undefined {
  const v = (holder as Record<string, unknown> | undefined)?.[SERVER_OUTCOMES_KEY];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as ServerOutcomes) : undefined;
}

/**
 * A zod validation error (the SDK validates messages and results with zod: `ZodError` or, from safeParse, `$ZodError`).
 */
export function isSchemaError(err: unknown): boolean {
  return (
    err instanceof Error &&
    /^\$?ZodError$/.test(err.name) &&
    Array.isArray((err as Error & { issues?: unknown }).issues)
  );
}

export function shortMessage(err: unknown, max = 200): string {
  const msg = err instanceof Error ? (zodSummary(err) ?? err.message) : String(err);
  const one = msg.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

interface ZodIssueLike {
  path?: PropertyKey[];
  message?: string;
  errors?: ZodIssueLike[][];
}

/** A schema error (the SDK validates messages with zod) as one line: the first failing field and why. */
function zodSummary(err: Error): string | undefined {
  const issues = (err as Error & { issues?: ZodIssueLike[] }).issues;
  if (!isSchemaError(err) || !Array.isArray(issues) || issues.length === 0) return undefined;
  let issue: ZodIssueLike = issues[0]!;
  const path: PropertyKey[] = [...(issue.path ?? [])];
  // A union (JSON-RPC request | notification | response | error) fails in every branch: follow the first.
  while (issue.errors?.[0]?.[0]) {
    issue = issue.errors[0][0];
    path.push(...(issue.path ?? []));
  }
  const where = path.length ? path.map(String).join('.') : 'message';
  return `not a valid MCP message (${where}: ${issue.message ?? 'invalid'})`;
}

/** A message on a stream that is not JSON, or not JSON-RPC (what the SDK reports through onerror). */
export function isProtocolViolation(err: Error): boolean {
  return isSchemaError(err) || err.name === 'SyntaxError';
}

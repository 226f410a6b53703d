import { isSchemedKeyHeader, isSensitiveName } from './credentials.js';

/**
 * Masking of key material. Everything mcpwatch prints, serves or stores passes through a
 * Redactor: configured secrets are replaced outright, and anything shaped like a LiteLLM key
 * (`sk-…`) or a bearer credential is masked even when mcpwatch never saw it configured
 * (LiteLLM's own log lines echo the keys clients sent).
 */

const SK_KEY = /\bsk-[A-Za-z0-9_-]{4,}/g;
// Already-masked values (`***`, `sk-…abcd`, `sk-***`) are left alone, so masking twice is harmless.
// A credential is at least 8 token characters: "Bearer ` prefix" (LiteLLM's own hint) is not one.
const BEARER = /\b(Bearer)\s+(?!\*\*\*|sk-…|sk-\*\*\*)[A-Za-z0-9._~+/=-]{8,}/gi;
// A password in a URL's userinfo (`postgresql://user:secret@db/x`, as a traceback may quote a DSN).
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)(?!\*\*\*@)[^\s@/]+@/gi;
// A JWT (an access token, an ID token, a client assertion): three base64url parts, the first two JSON objects.
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
const MIN_SECRET_LENGTH = 4;

/** Keep the last four characters of long keys so an operator can tell keys apart. */
export function maskKey(key: string): string {
  return key.length >= 20 ? `sk-…${key.slice(-4)}` : 'sk-***';
}

/** Values kept per rotating slot: the current one and the one before (a late log line may still quote it). */
const ROTATING_KEPT = 2;

export class Redactor {
  private secrets: string[] = [];
  private readonly fixed = new Set<string>();
  private readonly rotating = new Map<string, string[]>();

  /** Register exact secret values (API keys, tokens, sensitive header values). */
  addSecrets(values: Iterable<string | undefined>): void {
    for (const v of values) if (v && v.length >= MIN_SECRET_LENGTH) this.fixed.add(v);
    this.rebuild();
  }

  /**
   * Register a secret that replaces an earlier one of the same slot (an OAuth access token that is
   * renewed every few minutes): the last few values of a slot are masked, older ones forgotten, so
   * the list does not grow with every renewal.
   */
  rotateSecret(slot: string, value: string): void {
    if (value.length < MIN_SECRET_LENGTH) return;
    const kept = (this.rotating.get(slot) ?? []).filter((v) => v !== value);
    this.rotating.set(slot, [value, ...kept].slice(0, ROTATING_KEPT));
    this.rebuild();
  }

  private rebuild(): void {
    const all = new Set(this.fixed);
    for (const values of this.rotating.values()) for (const v of values) all.add(v);
    // Longest first, so a secret containing another is replaced whole.
    this.secrets = [...all].sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) out = out.split(s).join('***');
    }
    if (out.includes('sk-')) out = out.replace(SK_KEY, maskKey);
    if (out.includes('eyJ')) out = out.replace(JWT, 'eyJ***');
    if (/bearer/i.test(out)) out = out.replace(BEARER, '$1 ***');
    if (out.includes('://')) out = out.replace(URL_PASSWORD, '$1***@');
    return out;
  }

  /** Deep copy of a JSON-like value with every string masked. */
  maskDeep<T>(value: T): T {
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (value === null || typeof value !== 'object' || depth > 32) return value;
    if (Array.isArray(value)) return value.map((v) => this.walk(v, depth + 1));
    if (value instanceof Error) {
      return { type: value.name, message: this.mask(value.message), ...(this.walk({ ...value }, depth + 1) as object) };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string' && isSchemedKeyHeader(k)) out[k] = maskCredential(v);
      else out[k] = isSensitiveName(k) && typeof v === 'string' ? '***' : this.walk(v, depth + 1);
    }
    return out;
  }
}

/** Copy of a header map with credential values masked, for display ("what was sent"). */
export function maskHeaders(headers: Record<string, string>, redactor?: Redactor): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (isSchemedKeyHeader(k)) {
      out[k] = maskCredential(v);
    } else if (isSensitiveName(k)) {
      out[k] = '***';
    } else {
      out[k] = redactor ? redactor.mask(v) : v;
    }
  }
  return out;
}

/**
 * `Bearer sk-abc…` → `Bearer sk-…wxyz`: shows the scheme and the key's shape (is the prefix
 * there? is it an sk- key?) without the key, which is what one debugs auth problems with.
 */
export function maskCredential(value: string): string {
  const m = /^(\s*)(Bearer|Basic)(\s+)(.*)$/i.exec(value);
  if (m) return `${m[2]} ${maskToken(m[4] ?? '')}`;
  return maskToken(value);
}

function maskToken(token: string): string {
  if (token === '') return '(empty)';
  if (token === '***' || token.startsWith('sk-…') || token === 'sk-***') return token;
  if (token.startsWith('sk-')) return maskKey(token);
  return '***';
}

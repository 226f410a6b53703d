/**
 * The canonical forms the MCP endpoint compares `Origin` and `Host` in (DNS-rebinding protection):
 * the same function reads the config's lists and the request's headers, so "HTTP://LocalHost:80"
 * in one and "http://localhost" in the other are the same origin.
 */

/**
 * An `Origin` value as `scheme://host[:port]`, lower-cased, the scheme's default port dropped;
 * `null` stays "null" (what sandboxed pages send). Undefined when it is not an origin (a path, a
 * query, credentials, garbage).
 */
export function canonicalOrigin(value: string): string | undefined {
  const s = value.trim();
  if (s === 'null') return 'null';
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#@\s]+)\/?$/i.exec(s);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const host = canonicalHost(m[2]!);
  if (!host) return undefined;
  const defaultPort = scheme === 'http' ? 80 : scheme === 'https' ? 443 : undefined;
  return `${scheme}://${host.port === undefined || host.port === defaultPort ? host.name : `${host.name}:${host.port}`}`;
}

export interface CanonicalHost {
  /** Lower-cased host name or IP; an IPv6 address keeps its brackets. */
  name: string;
  port?: number;
}

/** A `Host` value (`name[:port]`, `[v6][:port]`), or undefined when it is not one. */
export function canonicalHost(value: string): CanonicalHost | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return undefined;
  const name = m[1]!.toLowerCase().replace(/\.$/, '');
  if (m[2] === undefined) return { name };
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { name, port } : undefined;
}

/** Whether a request's Host matches an allowed entry: same name, and same port when the entry names one. */
export function hostMatches(allowed: CanonicalHost, request: CanonicalHost): boolean {
  return allowed.name === request.name && (allowed.port === undefined || allowed.port === request.port);
}

export function formatHost(h: CanonicalHost): string {
  return h.port === undefined ? h.name : `${h.name}:${h.port}`;
}

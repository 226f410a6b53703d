/**
 * The canonical forms the HTTP server compares `Origin` and `Host` in (DNS-rebinding protection):
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

/** Whether an address a socket reports (`server.address()`) is a loopback one: 127.0.0.0/8, ::1, or 127.x as IPv6. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return a === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** A host only this machine reaches (a listen address, a URL's host): localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
}

/** Whether a host name is a loopback one a browser may show in an Origin: localhost, 127.x.x.x or [::1]. */
export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * Whether a canonical host name is an IP address (`10.0.0.5`, `[fd00::5]`), not a DNS name: no rebound page shows
 * one, since a page at an address is served by whoever has that address.
 */
export function isIpLiteral(name: string): boolean {
  return name.startsWith('[') || /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * Whether a canonical origin (see canonicalOrigin) is a loopback origin of a server on `port`:
 * `http` or `https` to localhost, 127.x.x.x or [::1], on that very port (the scheme's default port
 * when the origin names none). A page served by another local program (another port) is not one.
 */
export function isLoopbackOriginOf(origin: string, port: number): boolean {
  const m = /^(https?):\/\/(.+)$/.exec(origin);
  const host = m ? canonicalHost(m[2]!) : undefined;
  if (!m || !host || !isLoopbackName(host.name)) return false;
  return (host.port ?? (m[1] === 'http' ? 80 : 443)) === port;
}

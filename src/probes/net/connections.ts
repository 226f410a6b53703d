import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { buildConnector, Client, Pool, type Dispatcher } from 'undici';
import type { Target } from '../../config/target.js';
import type { PhaseClock, TlsFacts } from '../types.js';
import { tlsOptions } from './tls-options.js';

/**
 * A dispatcher for one probe run: a fresh connection pool (so every run really connects, as
 * blackbox_exporter does, and a broken pool cannot outlive the run), the target's TLS options,
 * and the time spent connecting (TCP + TLS) added to the run's `connect` phase. `onTls` gets what
 * the run's first TLS connection showed (read once: the pool's other connections show the same).
 */
export function runDispatcher(
  target: Target,
  phases: PhaseClock,
  timeoutMs: number,
  single = false,
  onTls?: (facts: TlsFacts) => void,
): Dispatcher {
  const base = buildConnector({ ...tlsOptions(target), timeout: timeoutMs });
  let tlsRead = false;
  const connect: buildConnector.connector = (opts, callback) => {
    const t0 = performance.now();
    base(opts, (err, socket) => {
      phases.add('connect', performance.now() - t0);
      // The overloads of the callback type need the two shapes called apart.
      if (err) callback(err, null);
      else {
        if (onTls && !tlsRead && 'getPeerCertificate' in socket!) {
          tlsRead = true;
          const facts = tlsFacts(socket as TLSSocket);
          if (facts) onTls(facts);
        }
        callback(null, socket!);
      }
    });
  };
  // One origin per run (the target's; redirects are reported, not followed). A plain HTTP check
  // makes one request: one connection (a Client) is enough and much lighter at hundreds of runs a
  // second. An MCP session may hold a stream open while it posts: a small Pool.
  const origin = new URL(target.url).origin;
  const options = {
    connect,
    // Timeouts are the run's (its AbortSignal), so undici's own are off: they would only cut in
    // first with a vaguer reason, and undici's coarse timers for them hold each request (parser,
    // socket, client) for up to a second after it is done, which at hundreds of runs a second
    // pushed megabytes a second into V8's old space (seen with --trace-gc-nvp).
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: 1_000,
  };
  return single ? new Client(origin, options) : new Pool(origin, { ...options, connections: 4 });
}

/**
 * What a TLS connection shows of the server: the protocol, the leaf certificate's subject, issuer
 * and expiry, and the earliest expiry in its chain (as the server sent it, completed from the
 * trusted CAs: an intermediate or root that expires first takes the route down with it).
 */
export function tlsFacts(socket: TLSSocket): TlsFacts | undefined {
  const leaf = socket.getPeerCertificate(true);
  if (!leaf || !leaf.valid_to) return undefined;
  const leafNotAfter = Date.parse(leaf.valid_to);
  let earliest = { notAfter: leafNotAfter, subject: dn(leaf.subject) };
  const seen = new Set<string>([leaf.fingerprint256]);
  let cert: DetailedPeerCertificate | undefined = leaf.issuerCertificate;
  while (cert && cert.valid_to && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    const at = Date.parse(cert.valid_to);
    if (at < earliest.notAfter) earliest = { notAfter: at, subject: dn(cert.subject) };
    cert = cert.issuerCertificate;
  }
  return {
    version: socket.getProtocol() ?? 'unknown',
    subject: dn(leaf.subject),
    issuer: dn(leaf.issuer),
    notAfter: leafNotAfter,
    earliestNotAfter: earliest.notAfter,
    earliestSubject: earliest.subject,
    chainLength: seen.size,
    authorized: socket.authorized,
  };
}

/** A distinguished name as one line: `CN=litellm.example.com, O=Example`. */
function dn(name: Record<string, string | string[] | undefined> | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .filter((e): e is [string, string | string[]] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

import type { AddressInfo } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  canonicalHost,
  canonicalOrigin,
  hostMatches,
  isIpLiteral,
  isLoopbackAddress,
  isLoopbackName,
  isLoopbackOriginOf,
  type CanonicalHost,
} from '../util/origins.js';
import type { AgentPort, WebAccess } from './ports.js';

/**
 * The app's onRequest hook: every route, `/mcp` and unknown paths included, refuses a request whose Origin or Host
 * is not allowed before anything reads it (its body, its query); the rules are read per request (a reload applies).
 * `/mcp` answers in JSON-RPC, with no id: the body is not read.
 */
export function webGuard(
  agent: Pick<AgentPort, 'webAccess'>,
  address: () => AddressInfo | string | null,
): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (req, reply) => {
    const refusal = refuseWebRequest(agent.webAccess(), req.headers, listenerOf(address()));
    if (!refusal) return undefined;
    req.log.warn(
      { method: req.method, url: req.url.split('?')[0], origin: req.headers.origin, host: req.headers.host },
      'request refused: Origin or Host not allowed (web.allowedOrigins, web.allowedHosts)',
    );
    const path = req.url.split('?')[0];
    return reply
      .code(refusal.status)
      .header('cache-control', 'no-store')
      .send(
        path === '/mcp' || path === '/mcp/'
          ? { jsonrpc: '2.0', error: { code: -32001, message: refusal.message }, id: null }
          : { error: refusal.message },
      );
  };
}

/** Where the server listens, as far as the Origin and Host checks care. */
export interface Listener {
  /** The port, when the server listens on a loopback address only (127.0.0.1, ::1); else undefined. */
  loopbackPort?: number | undefined;
}

/** The listen address (`server.address()`) as the checks need it: its port when it is a loopback address. */
export function listenerOf(address: AddressInfo | string | null): Listener {
  return typeof address === 'object' && address !== null && isLoopbackAddress(address.address)
    ? { loopbackPort: address.port }
    : {};
}

/** Why a request is refused before any route reads it. */
export interface WebRefusal {
  status: 403;
  message: string;
}

type Rules = Pick<WebAccess, 'allowedOrigins' | 'allowedHosts'>;

/**
 * Pure: DNS-rebinding protection for every route (`web` in the config). A page in a browser on the operator's
 * machine must not read `/status` or start `/probe` through a name that an attacker made resolve to mcpwatch: such
 * a request shows the attacker's name in `Host` (and in `Origin`, when the browser sends one).
 *
 * - `Origin` (browsers send it on cross-site requests and on POSTs; Prometheus, curl and MCP clients send none):
 *   allowed when listed in `allowedOrigins`; else when it is the server's own origin: its loopback origin while it
 *   listens on loopback with no list (as /mcp always did), or the origin of the `Host` the request names when that
 *   Host cannot be a rebound name (a loopback name, an IP address, or listed in `allowedHosts`). Anything else: 403.
 * - `Host`: a loopback name (localhost, 127.x, [::1]) always passes (a rebound page never shows one); any other must
 *   be in `allowedHosts` when that list is set; with no list, one that is not a loopback name is refused while the
 *   server listens on loopback (no one else reaches it by name), and passes otherwise.
 */
export function refuseWebRequest(
  rules: Rules,
  headers: { origin?: string | undefined; host?: string | undefined },
  listener: Listener = {},
): WebRefusal | undefined {
  const host = checkHost(rules, headers.host, listener);
  if (headers.origin !== undefined && !originAllowed(rules, headers.origin, host.trusted, listener))
    return {
      status: 403,
      message: `Forbidden: Origin ${JSON.stringify(clip(headers.origin))} is not in web.allowedOrigins`,
    };
  if (host.refused) return { status: 403, message: host.refused };
  return undefined;
}

/** Whether the Host passes (refused: why not), and the Host itself when no rebound page can show it. */
function checkHost(
  rules: Rules,
  value: string | undefined,
  listener: Listener,
): { refused?: string; trusted?: CanonicalHost } {
  const host = value === undefined ? undefined : canonicalHost(value);
  if (host && isLoopbackName(host.name)) return { trusted: host };
  const shown = JSON.stringify(clip(value ?? ''));
  if (rules.allowedHosts.length > 0) {
    const listed =
      host !== undefined &&
      rules.allowedHosts.some((a) => {
        const entry = canonicalHost(a);
        return entry !== undefined && hostMatches(entry, host);
      });
    return listed ? { trusted: host } : { refused: `Forbidden: Host ${shown} is not in web.allowedHosts` };
  }
  if (listener.loopbackPort !== undefined && value !== undefined)
    return {
      refused:
        `Forbidden: Host ${shown} is not a loopback name, and mcpwatch listens on a loopback address (a name ` +
        'that resolves to it from elsewhere is a DNS-rebinding attack, or a proxy: list it in web.allowedHosts)',
    };
  return host && isIpLiteral(host.name) ? { trusted: host } : {};
}

function originAllowed(rules: Rules, value: string, host: CanonicalHost | undefined, listener: Listener): boolean {
  const origin = canonicalOrigin(value);
  if (origin === undefined) return false;
  if (rules.allowedOrigins.includes(origin)) return true;
  const port = listener.loopbackPort;
  if (rules.allowedOrigins.length === 0 && port !== undefined && isLoopbackOriginOf(origin, port)) return true;
  return host !== undefined && isOriginOf(origin, host);
}

/**
 * Whether a canonical origin is `http(s)://` the very host and port a request's Host names (the scheme's default
 * port when it names none).
 */
function isOriginOf(origin: string, host: CanonicalHost): boolean {
  const m = /^(https?):\/\/(.+)$/.exec(origin);
  const own = m ? canonicalHost(m[2]!) : undefined;
  if (!m || !own || own.name !== host.name) return false;
  const defaultPort = m[1] === 'http' ? 80 : 443;
  return (own.port ?? defaultPort) === (host.port ?? defaultPort);
}

/** A header echoed in an error stays short. */
export function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

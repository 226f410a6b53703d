import { timingSafeEqual } from 'node:crypto';
import { canonicalHost, canonicalOrigin, hostMatches, isLoopbackOriginOf } from '../util/origins.js';
import type { McpAccess } from './ports.js';

/** Why a request to `/mcp` is refused before anything reads it. */
export interface McpRefusal {
  status: 401 | 403 | 404;
  message: string;
}

/** Where the server listens, as far as the Origin check cares. */
export interface McpListener {
  /** The port, when the server listens on a loopback address only (127.0.0.1, ::1); else undefined. */
  loopbackPort?: number | undefined;
}

/**
 * Pure: whether a request may use the MCP endpoint. Off: 404. DNS-rebinding protection first (a
 * page on another site must learn nothing, not even that a token is needed): an `Origin` that is
 * not allowed is 403, and so is a `Host` not in `allowedHosts` when that list is set. Then the
 * token: 401.
 */
export function refuseMcpRequest(
  access: McpAccess | null,
  headers: { origin?: string | undefined; host?: string | undefined; authorization?: string | undefined },
  listener: McpListener = {},
): McpRefusal | undefined {
  if (access === null) return { status: 404, message: 'the MCP endpoint is disabled (mcpServer.enabled: false)' };
  if (headers.origin !== undefined && !originAllowed(access, headers.origin, listener)) {
    return {
      status: 403,
      message: `Forbidden: Origin ${JSON.stringify(clip(headers.origin))} is not in mcpServer.allowedOrigins`,
    };
  }
  if (access.allowedHosts.length > 0) {
    const host = headers.host === undefined ? undefined : canonicalHost(headers.host);
    const allowed =
      host !== undefined &&
      access.allowedHosts.some((a) => {
        const entry = canonicalHost(a);
        return entry !== undefined && hostMatches(entry, host);
      });
    if (!allowed)
      return {
        status: 403,
        message: `Forbidden: Host ${JSON.stringify(clip(headers.host ?? ''))} is not in mcpServer.allowedHosts`,
      };
  }
  if (access.token !== undefined && !bearerMatches(headers.authorization, access.token)) {
    return { status: 401, message: 'Unauthorized: send Authorization: Bearer <mcpServer.token>' };
  }
  return undefined;
}

/**
 * An Origin in `allowedOrigins`; or, while that list is empty and the server listens on loopback
 * only, the server's own loopback origin (`http://localhost:<its port>`, 127.0.0.1, [::1]): a page
 * on another site always shows its own name in Origin, whatever its name resolves to.
 */
function originAllowed(access: McpAccess, value: string, listener: McpListener): boolean {
  const origin = canonicalOrigin(value);
  if (origin === undefined) return false;
  if (access.allowedOrigins.includes(origin)) return true;
  const port = listener.loopbackPort;
  return access.allowedOrigins.length === 0 && port !== undefined && isLoopbackOriginOf(origin, port);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A header echoed in an error stays short. */
function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

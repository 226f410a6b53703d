import { timingSafeEqual } from 'node:crypto';
import { canonicalHost, canonicalOrigin, hostMatches } from '../util/origins.js';
import type { McpAccess } from './ports.js';

/** Why a request to `/mcp` is refused before anything reads it. */
export interface McpRefusal {
  status: 401 | 403 | 404;
  message: string;
}

/**
 * Pure: whether a request may use the MCP endpoint. Off: 404. DNS-rebinding protection first (a
 * page on another site must learn nothing, not even that a token is needed): an `Origin` that is
 * not in `allowedOrigins` is 403, and so is a `Host` not in `allowedHosts` when that list is set.
 * Then the token: 401.
 */
export function refuseMcpRequest(
  access: McpAccess | null,
  headers: { origin?: string | undefined; host?: string | undefined; authorization?: string | undefined },
): McpRefusal | undefined {
  if (access === null) return { status: 404, message: 'the MCP endpoint is disabled (mcpServer.enabled: false)' };
  if (headers.origin !== undefined) {
    const origin = canonicalOrigin(headers.origin);
    if (origin === undefined || !access.allowedOrigins.includes(origin)) {
      return {
        status: 403,
        message: `Forbidden: Origin ${JSON.stringify(clip(headers.origin))} is not in mcpServer.allowedOrigins`,
      };
    }
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

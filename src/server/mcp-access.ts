import { timingSafeEqual } from 'node:crypto';
import type { McpAccess } from './ports.js';

/** Why a request to `/mcp` is refused before anything reads it. */
export interface McpRefusal {
  status: 401 | 404;
  message: string;
}

/**
 * Pure: whether a request may use the MCP endpoint, once the whole server's Origin and Host checks have let it in
 * (web-guard.ts: a page on another site learns nothing, not even that a token is needed). Off: 404. Then the token:
 * 401.
 */
export function refuseMcpRequest(
  access: McpAccess | null,
  headers: { authorization?: string | undefined },
): McpRefusal | undefined {
  if (access === null)
    return {
      status: 404,
      message: 'the MCP endpoint is disabled (mcpServer.enabled: false, or no mcpServer.token / tokenFile)',
    };
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

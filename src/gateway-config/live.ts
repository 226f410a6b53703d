import { Agent, request } from 'undici';
import type { Target } from '../config/target.js';
import { keyHeaders, readLimited, USER_AGENT } from '../probes/net/requests.js';
import { joinUrl } from '../util/url.js';
import { tlsOptions } from '../probes/net/tls-options.js';
import { innermostMessage } from '../util/errors.js';
import type { Redactor } from '../util/redact.js';
import { gatewayServersOf, type GatewayServer } from './live-findings.js';

/** What `--live` read of the gateway: its version and its server list, or why not (masked). */
export type GatewayRead =
  | { target: string; url: string; version?: string; servers: GatewayServer[] }
  | { target: string; url: string; error: string };

const MAX_BYTES = 1024 * 1024;
const TIMEOUT_MS = 15_000;

/**
 * The gateway's own view, with the target's key: its version (`GET /health/readiness`, or its `/details`) and
 * the MCP servers it has (`GET /v1/mcp/server`: only names and aliases are kept, never the env each entry lists,
 * which holds its passwords in clear). Never throws.
 */
export async function readGateway(target: Target, redactor: Redactor): Promise<GatewayRead> {
  const dispatcher = new Agent({ connect: { ...tlsOptions(target), timeout: TIMEOUT_MS } });
  const headers = { 'user-agent': USER_AGENT, accept: 'application/json', ...target.headers, ...keyHeaders(target) };
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  const get = async (path: string): Promise<unknown> => {
    const res = await request(joinUrl(target.url, path), { method: 'GET', headers, dispatcher, signal });
    const body = await readLimited(res.body, MAX_BYTES);
    if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}${refusal(res.statusCode)}`);
    if (body.truncated) throw new Error(`${path} answered more than ${MAX_BYTES} bytes`);
    return JSON.parse(body.text) as unknown;
  };
  const where = { target: target.name, url: target.url };
  try {
    const list = await get('/v1/mcp/server');
    const version = await versionOf(get);
    return { ...where, ...(version && { version }), servers: gatewayServersOf(list) };
  } catch (err) {
    return { ...where, error: redactor.mask(innermostMessage(err)) };
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

/**
 * The gateway's LiteLLM version: 1.77 says it in `/health/readiness` (no key needed); 1.109 only in
 * `/health/readiness/details` (with a key). Undefined when neither does.
 */
async function versionOf(get: (path: string) => Promise<unknown>): Promise<string | undefined> {
  for (const path of ['/health/readiness', '/health/readiness/details']) {
    const body = (await get(path).catch(() => undefined)) as { litellm_version?: unknown } | undefined;
    if (typeof body?.litellm_version === 'string') return body.litellm_version;
  }
  return undefined;
}

function refusal(status: number): string {
  return status === 401 || status === 403 ? ' (the target key may not read the server list: use an admin key)' : '';
}

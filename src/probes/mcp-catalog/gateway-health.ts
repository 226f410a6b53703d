import { request } from 'undici';
import { innermostMessage } from '../../util/errors.js';
import { joinUrl } from '../../util/url.js';
import { keyHeaders, readLimited, ssoHeaders, USER_AGENT } from '../net/requests.js';
import type { ProbeContext, ServerState } from '../types.js';
import type { CatalogDetails } from './details.js';
import { compareGatewayHealth, healthEntriesOf, serverNamesOf } from './gateway-health-verdict.js';

/** Largest answer read from each of the two endpoints. */
const MAX_BYTES = 1024 * 1024;
/** Time kept for the rest of the run (closing the session) when the health check gets what is left of it. */
const MARGIN_MS = 1_000;

/** A GET of one of the gateway's own JSON endpoints (`/v1/mcp/server`…), with the target's key. */
type GatewayGet = (path: string) => Promise<unknown>;

/**
 * A reader of LiteLLM's own endpoints for the rest of a run (`startedAt` on the run's clock, keeping a margin to
 * close its session), with the target's key and, through the SSO gate, the run's token. Each GET's status goes to
 * the steps (`why`: what it is for), never its body; a status other than 200, a body too large or not JSON throws.
 * Undefined when too little of the run is left.
 */
function gatewayReader(
  ctx: ProbeContext,
  startedAt: number,
  why: string,
  ssoToken?: string,
): { get: GatewayGet; signal: AbortSignal; left: number } | undefined {
  const left = Math.floor(ctx.timeoutMs - (performance.now() - startedAt) - MARGIN_MS);
  if (left < 500) return undefined;
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(left)]);
  const headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    accept: 'application/json',
    ...ctx.target.headers,
    ...keyHeaders(ctx.target),
    ...ssoHeaders(ssoToken),
  };
  const get = async (path: string): Promise<unknown> => {
    const url = joinUrl(ctx.target.url, path);
    ctx.step(`GET ${url}  (${why})`);
    const res = await request(url, { method: 'GET', headers, dispatcher: ctx.dispatcher, signal });
    const body = await readLimited(res.body, MAX_BYTES);
    // Only the status goes to the steps: /v1/mcp/server lists each server's env (passwords).
    ctx.step(`← ${res.statusCode} ${path} (${body.bytes} bytes)`);
    if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}`);
    if (body.truncated) throw new Error(`${path} answered more than ${MAX_BYTES} bytes`);
    return JSON.parse(body.text) as unknown;
  };
  return { get, signal, left };
}

/** Why a read of the gateway's own endpoints failed, masked: its own timeout told apart from the run's end. */
function readFailure(ctx: ProbeContext, err: unknown, signal: AbortSignal, left: number): string {
  const why =
    signal.aborted && !ctx.signal.aborted
      ? `no answer within the ${Math.round(left / 100) / 10} s left of the run`
      : innermostMessage(err);
  return ctx.redactor.mask(why);
}

/**
 * The names of the MCP servers the gateway has for the target's key (`GET /v1/mcp/server`: only ids and names
 * are read, never the env it lists), within what is left of the run. Never throws: a failure is in `error`.
 */
export async function readGatewayServers(
  ctx: ProbeContext,
  startedAt: number,
  ssoToken?: string,
): Promise<{ names: string[] } | { error: string }> {
  const reader = gatewayReader(ctx, startedAt, "the gateway's own server list", ssoToken);
  if (!reader) return { error: "no time left in the run to read the gateway's server list" };
  try {
    return { names: [...new Set(serverNamesOf(await reader.get('/v1/mcp/server')).values())] };
  } catch (err) {
    return { error: `could not read the gateway's server list: ${readFailure(ctx, err, reader.signal, reader.left)}` };
  }
}

/**
 * `gatewayHealth: true`: LiteLLM's own view of its MCP servers, `GET /v1/mcp/server/health` (ids)
 * and `GET /v1/mcp/server` (ids → names), with the target's key, within what is left of the run
 * (`startedAt` on the run's clock), through the SSO gate with the catalog's token, so that a slow health endpoint
 * (1.109 takes 12 s while an
 * upstream hangs) does not cost the catalog result. A probe of some servers (`only`: a discovered server's own
 * catalog) asks about those alone (`?server_ids=`, which 1.109+ honour: LiteLLM checks each server it is asked about,
 * so N such probes asking about every server would cost N² checks), and keeps those alone (1.77 ignores the
 * parameter). Never throws: a failure is in `error`.
 */
export async function readGatewayHealth(
  ctx: ProbeContext,
  servers: Readonly<Record<string, ServerState>>,
  startedAt: number,
  ssoToken?: string,
  only: readonly string[] = [],
): Promise<NonNullable<CatalogDetails['gatewayHealth']>> {
  const reader = gatewayReader(ctx, startedAt, "the gateway's own health", ssoToken);
  if (!reader) return { servers: {}, error: 'no time left in the run for the gateway health check' };
  try {
    if (only.length === 0) {
      const [health, list] = await Promise.all([reader.get('/v1/mcp/server/health'), reader.get('/v1/mcp/server')]);
      return { servers: compareGatewayHealth(serverNamesOf(list), healthEntriesOf(health), servers) };
    }
    const names = serverNamesOf(await reader.get('/v1/mcp/server'));
    const ids = [...names].filter(([, name]) => only.includes(name)).map(([id]) => id);
    // None of them known to the gateway: nothing to ask (the catalog says they are missing).
    if (ids.length === 0) return { servers: {} };
    const query = ids.map((id) => `server_ids=${encodeURIComponent(id)}`).join('&');
    const health = healthEntriesOf(await reader.get(`/v1/mcp/server/health?${query}`)).filter((e) =>
      ids.includes(e.id),
    );
    return { servers: compareGatewayHealth(names, health, servers) };
  } catch (err) {
    const why = readFailure(ctx, err, reader.signal, reader.left);
    return { servers: {}, error: `could not read the gateway's MCP health: ${why}` };
  }
}

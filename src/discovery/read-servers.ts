// A gateway's server list, read as a probe run talks to it (the target's key, headers, TLS, SSO token and MCP
// protocol): LiteLLM's `GET /v1/mcp/server`, else an unfiltered tools/list (its server outcomes, else its tools'
// prefixes). Only server names are kept: the server list also holds each server's env, passwords included.
import { ProtocolError } from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import type { Probe } from '../config/parse.js';
import type { Target } from '../config/target.js';
import { readGatewayServers } from '../probes/mcp-catalog/gateway-health.js';
import { schema as catalogSchema } from '../probes/mcp-catalog/schema.js';
import { serverOutcomesOf } from '../probes/mcp/responses.js';
import { listAllTools, openSession, type McpSession } from '../probes/mcp/session.js';
import { createPhaseClock } from '../probes/net/phases.js';
import type { TokenSource } from '../probes/oauth/token-source.js';
import { withSsoToken } from '../probes/oauth/with-token.js';
import type { ProbeContext, ProtocolMemory, ServerOutcomes } from '../probes/types.js';
import { runContext } from '../scheduler/run-context.js';
import { innermostMessage } from '../util/errors.js';
import type { Redactor } from '../util/redact.js';
import { normalize, serversOfTools, type ListRead, type ListSource } from './servers.js';

export interface ReadDeps {
  logger: Logger;
  redactor: Redactor;
  /** The target's SSO token (oauth2), shared with its probes. */
  oauth?: TokenSource;
  /** The MCP era each target speaks, shared with the probes. */
  protocols?: ProtocolMemory;
}

/**
 * Reads `target`'s server list within `timeoutMs` (or until `stop` aborts). Never throws: a failure is `ok: false`
 * with what each source answered, masked. An empty server list is passed over for tools/list (a key that may not
 * read the list can get one).
 */
export async function readServers(
  target: Target,
  timeoutMs: number,
  deps: ReadDeps,
  stop: AbortSignal,
): Promise<ListRead> {
  const t0 = performance.now();
  const signal = AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]);
  const logger = deps.logger;
  // The context a probe of the target would run in: only its timeout is read of this placeholder catalog.
  const probe: Probe = {
    ...catalogSchema.parse({ type: 'mcp_catalog', name: 'discovery', target: target.name }),
    scheduleSpec: { kind: 'every', ms: timeoutMs },
    timeoutMs,
  };
  const run = runContext(
    probe,
    {
      target,
      logger,
      redactor: deps.redactor,
      ...(deps.oauth && { oauth: deps.oauth }),
      ...(deps.protocols && { protocols: deps.protocols }),
    },
    { signal, phases: createPhaseClock(), logger, t0, keepSteps: false, freshConnection: false },
  );
  const { ctx } = run;
  try {
    return await withSsoToken(ctx, async (token): Promise<ListRead> => {
      const list = await readGatewayServers(ctx, t0, token);
      if ('names' in list && list.names.length > 0)
        return { ok: true, source: 'server_list', servers: normalize(list.names) };
      const listed = await listedServers(ctx, token).catch((err: unknown) => ({
        error: deps.redactor.mask(innermostMessage(err)),
      }));
      if ('servers' in listed) return { ok: true, ...listed };
      if ('names' in list) return { ok: true, source: 'server_list', servers: [] };
      return { ok: false, error: `${list.error}; tools/list: ${listed.error}` };
    });
  } catch (err) {
    return { ok: false, error: deps.redactor.mask(innermostMessage(err)) };
  } finally {
    await run.close();
  }
}

/** The servers an unfiltered tools/list names; throws when it cannot be read, or names none. */
async function listedServers(
  ctx: ProbeContext,
  token: string | undefined,
): Promise<{ source: ListSource; servers: string[] }> {
  let session: McpSession | undefined;
  const outcomes: ServerOutcomes = {};
  try {
    session = await openSession(ctx, { servers: [], headers: {}, ...(token && { ssoToken: token }) });
    const tools = await listAllTools(ctx, session, outcomes);
    const found = serversOfTools(
      outcomes,
      tools.map((t) => t.name),
    );
    if (!found) throw new Error('tools/list named no server (no server outcomes, no tool with a {server}- prefix)');
    return found;
  } catch (err) {
    // LiteLLM 1.109+: when every server failed, tools/list is an error whose data still names them.
    const failed = err instanceof ProtocolError ? serverOutcomesOf(err.data) : undefined;
    const found = failed && serversOfTools(failed, []);
    if (found) return found;
    throw err;
  } finally {
    await session?.close();
  }
}

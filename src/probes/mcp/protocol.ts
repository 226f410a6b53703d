import type { Client, DiscoverResult } from '@modelcontextprotocol/client';
import { ProbeFailure, type ProbeContext, type ProbeOutput, type ProtocolFacts } from '../types.js';
import { erasOf, type EraPlan } from './eras.js';

/** What server/discover said, as a catalog records it. */
export interface DiscoverSummary {
  server?: { name: string; version?: string };
  supportedVersions: string[];
  capabilities: Record<string, unknown>;
  ttlMs?: number;
  cacheScope?: string;
}

/** What the connected client speaks, and how it came to. */
export function spokenProtocol(ctx: Pick<ProbeContext, 'target'>, client: Client, plan: EraPlan): ProtocolFacts {
  const era = client.getProtocolEra() ?? 'legacy';
  const version = client.getNegotiatedProtocolVersion() ?? '?';
  const via = era === 'legacy' ? 'initialize' : typeof plan.mode === 'object' ? 'pinned' : 'discover';
  return { era, version, via, ...(plan.remembered && { remembered: true }) };
}

export function summarizeDiscover(d: DiscoverResult, client: Client): DiscoverSummary {
  const info = client.getServerVersion();
  const { ttlMs, cacheScope } = d as { ttlMs?: unknown; cacheScope?: unknown };
  return {
    ...(info && { server: { name: info.name, ...(info.version && { version: info.version }) } }),
    supportedVersions: [...d.supportedVersions],
    capabilities: { ...(d.capabilities as Record<string, unknown>) },
    ...(typeof ttlMs === 'number' && { ttlMs }),
    ...(typeof cacheScope === 'string' && { cacheScope }),
  };
}

/** The protocol line of the step log. */
export function describeProtocol(p: ProtocolFacts, d: DiscoverSummary | undefined): string {
  const how =
    p.via === 'discover'
      ? 'negotiated with server/discover'
      : p.via === 'pinned'
        ? 'pinned, confirmed by server/discover'
        : p.remembered
          ? 'initialize (the target answered legacy before: no server/discover sent)'
          : 'initialize';
  const offers = d ? `; the server supports ${d.supportedVersions.join(', ')}` : '';
  return `protocol: ${p.era} ${p.version} via ${how}${offers}`;
}

/** An exact legacy revision the server did not agree to fails the run (the SDK accepts any it knows). */
export function checkExactVersion(ctx: Pick<ProbeContext, 'target'>, plan: EraPlan, p: ProtocolFacts): void {
  if (!plan.exactLegacy || p.version === plan.exactLegacy) return;
  throw new ProbeFailure(
    'protocol_error',
    `${ctx.target.name} answered initialize with protocol ${p.version}, not ${plan.exactLegacy} (protocol: ` +
      `${plan.exactLegacy}): set protocol to what it speaks, or auto`,
  );
}

/** What each run's sessions spoke, by the run's context (the last session that connected wins). */
const spokenInRun = new WeakMap<ProbeContext, ProtocolFacts>();

/** Notes what a session of the run spoke, and remembers a negotiated era for the target (protocol: auto). */
export function notePlan(ctx: ProbeContext, p: ProtocolFacts): void {
  spokenInRun.set(ctx, p);
  if (ctx.target.protocol === 'auto' && ctx.target.transport !== 'sse' && !p.remembered)
    erasOf(ctx).remember(ctx.target, p.era, p.version);
}

/**
 * Runs an MCP probe and puts what it spoke in its result's `details.protocol` (also of a failure thrown with
 * details, or none): a change of era or version since the probe's previous run is logged, and named in the result.
 */
export async function speaking<D extends object>(
  ctx: ProbeContext,
  run: () => Promise<ProbeOutput<D>>,
): Promise<ProbeOutput<D>> {
  try {
    const out = await run();
    const p = spoken(ctx);
    return p ? { ...out, details: { ...(out.details ?? ({} as D)), protocol: p } } : out;
  } catch (err) {
    const p = spoken(ctx);
    if (!p || !(err instanceof ProbeFailure)) throw err;
    throw new ProbeFailure(err.outcome, err.message, { ...(err.details ?? {}), protocol: p });
  }
}

/** What the run spoke, compared with the probe's previous run. */
function spoken(ctx: ProbeContext): ProtocolFacts | undefined {
  const p = spokenInRun.get(ctx);
  if (!p) return undefined;
  const before = ctx.memory.protocol;
  ctx.memory.protocol = { era: p.era, version: p.version, via: p.via };
  if (!before || (before.era === p.era && before.version === p.version)) return p;
  const changedFrom = { era: before.era, version: before.version };
  ctx.logger.warn({ from: changedFrom, to: { era: p.era, version: p.version } }, 'MCP protocol changed');
  ctx.step(`protocol changed since the last run: ${before.era} ${before.version} → ${p.era} ${p.version}`);
  return { ...p, changedFrom };
}

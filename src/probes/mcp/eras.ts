import type { VersionNegotiationMode } from '@modelcontextprotocol/client';
import { LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS } from '../../config/fields.js';
import type { Target } from '../../config/target.js';
import type { ProbeContext, ProtocolEra, ProtocolMemory, RememberedProtocol } from '../types.js';

/** The modern revision `protocol: modern` pins. */
export const MODERN_VERSION = MODERN_PROTOCOL_VERSIONS[MODERN_PROTOCOL_VERSIONS.length - 1]!;
/** How long a negotiated era is trusted before the target's probes negotiate again. */
export const RENEGOTIATE_AFTER_MS = 10 * 60_000;
/** Targets remembered at most (a reload that changes a target's URL leaves the old entry behind). */
const MAX_TARGETS = 1_000;

/** Negotiated eras per target, for `protocol: auto` (see ProtocolMemory). */
export class EraMemory implements ProtocolMemory {
  private readonly byTarget = new Map<string, RememberedProtocol>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = RENEGOTIATE_AFTER_MS,
  ) {}

  get(target: Target): RememberedProtocol | undefined {
    const key = keyOf(target);
    const known = this.byTarget.get(key);
    if (known && this.now() - known.at < this.maxAgeMs) return known;
    this.byTarget.delete(key);
    return undefined;
  }

  remember(target: Target, era: ProtocolEra, version: string): void {
    const key = keyOf(target);
    this.byTarget.delete(key);
    if (this.byTarget.size >= MAX_TARGETS) this.byTarget.delete(this.byTarget.keys().next().value!);
    this.byTarget.set(key, { era, version, at: this.now() });
  }

  forget(target: Target): void {
    this.byTarget.delete(keyOf(target));
  }

  /** Forgets every target. */
  clear(): void {
    this.byTarget.clear();
  }
}

/** The memory of the agent's process: the probes of a target share it, whichever run made them. */
export const processEras = new EraMemory();

/** A target is the same gateway while these stay the same (a reload may change anything else). */
function keyOf(t: Target): string {
  return JSON.stringify([t.name, t.url, t.mcpPath, t.transport, t.protocol]);
}

/** How one session connects, from the target's `protocol` and what its probes remember. */
export interface EraPlan {
  mode: VersionNegotiationMode;
  /** An exact legacy revision: the only one `initialize` offers, and the one the server must agree to. */
  exactLegacy?: string;
  /** The era comes from memory (auto): a failure that may mean the gateway changed negotiates again. */
  remembered?: RememberedProtocol;
  /** Whether the negotiated era is remembered for the target (auto, negotiated this run). */
  remember: boolean;
}

/** The plan of a session of `ctx.target`; `fresh`: ignore what is remembered (negotiate again). */
export function planEra(ctx: Pick<ProbeContext, 'target' | 'protocols'>, fresh = false): EraPlan {
  const { target } = ctx;
  const setting = target.protocol;
  // The legacy SSE transport has no server/discover.
  if (target.transport === 'sse' || setting === 'legacy') return { mode: 'legacy', remember: false };
  if (setting === 'modern') return { mode: { pin: MODERN_VERSION }, remember: false };
  if ((MODERN_PROTOCOL_VERSIONS as readonly string[]).includes(setting))
    return { mode: { pin: setting }, remember: false };
  if ((LEGACY_PROTOCOL_VERSIONS as readonly string[]).includes(setting))
    return { mode: 'legacy', exactLegacy: setting, remember: false };
  const memory = ctx.protocols ?? processEras;
  const known = fresh ? undefined : memory.get(target);
  // A gateway known to be legacy is not sent the server/discover it refuses; a modern one is asked again (one trip,
  // as the handshake is anyway), which also notices a gateway that went back to legacy.
  if (known?.era === 'legacy') return { mode: 'legacy', remembered: known, remember: false };
  return { mode: 'auto', remember: true };
}

/** The memory a run's target uses. */
export function erasOf(ctx: Pick<ProbeContext, 'protocols'>): ProtocolMemory {
  return ctx.protocols ?? processEras;
}

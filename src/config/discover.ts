// A target's `discover` block: read the gateway's server list every `every`, and run each template as a probe per
// server (src/discovery/ does the reading and the expansion; this is what the config file says).
import { z } from 'zod';
import { probeSchema, probeTypeOf } from '../probes/table.js';
import { duration } from './fields.js';

/** How often the gateway's server list is read when `every` is not given. */
export const DEFAULT_DISCOVER_EVERY_MS = 5 * 60_000;
/** How long one read of the list may take when `timeout` is not given (a tools/list of every server, at worst). */
export const DEFAULT_DISCOVER_TIMEOUT_MS = 30_000;

/** The name and target a template is checked with: discovery sets both (and `servers`) for each server. */
export const TEMPLATE_NAME = 'template';

/** Keys a template may not set: each discovered probe gets them from its server. */
export const TEMPLATE_OWN_KEYS = ['name', 'target', 'servers'] as const;

/**
 * A probe template: a probe of any type that takes `servers`, without name, target and servers. Checked as a probe
 * with a placeholder name and target (a name or servers written in it is a problem of cross-check.ts).
 */
const template = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? { name: TEMPLATE_NAME, target: '-', ...v } : v),
  probeSchema,
);

export const discoverSchema = z.strictObject({
  /** How often the gateway's server list is read. */
  every: duration.default(DEFAULT_DISCOVER_EVERY_MS),
  /** How long one read of the list may take. */
  timeout: duration.default(DEFAULT_DISCOVER_TIMEOUT_MS),
  /** Server names never probed (e.g. mcpwatch itself, registered upstream). */
  exclude: z.array(z.string().min(1)).default([]),
  /** A probe per discovered server for each: named `{target}/{server}/{type}`, with `servers: [server]`. */
  probes: z.array(template).default([]),
});

export type DiscoverBlock = z.output<typeof discoverSchema>;

type Raw = Record<string, unknown>;

/** A problem found across keys (cross-check.ts's `Located`: its path as segments). */
interface DiscoverProblem {
  segs: PropertyKey[];
  message: string;
}

/**
 * Checks of each target's `discover` on the values as written (cross-check.ts): what a template may not set, its
 * type (one with `servers`), one template per type (their probes' names would be the same), and the type's own
 * checks against the target, as for a configured probe of it.
 */
export function discoverProblems(targets: Raw): DiscoverProblem[] {
  const problems: DiscoverProblem[] = [];
  for (const [name, t] of Object.entries(targets)) {
    if (!isRecord(t) || !isRecord(t.discover) || !Array.isArray(t.discover.probes)) continue;
    const seen = new Map<string, number>();
    t.discover.probes.forEach((p: unknown, j) => {
      if (!isRecord(p)) return;
      const at = ['targets', name, 'discover', 'probes', j];
      for (const key of TEMPLATE_OWN_KEYS)
        if (p[key] !== undefined)
          problems.push({
            segs: [...at, key],
            message:
              `a template has no ${key}: each discovered server gets a probe named ${name}/{server}/{type}, ` +
              'of this target, with servers: [server]',
          });
      if (p.schedule !== undefined && p.every !== undefined)
        problems.push({ segs: at, message: 'set schedule or every, not both' });
      if (typeof p.type !== 'string') return;
      const def = probeTypeOf(p.type);
      if (!def) return; // the schema names the types
      if (!takesServers(def.schema)) {
        problems.push({
          segs: [...at, 'type'],
          message: `a template is a probe per server, and ${p.type} takes no servers: configure it under probes`,
        });
        return;
      }
      const first = seen.get(p.type);
      if (first !== undefined)
        problems.push({
          segs: [...at, 'type'],
          message:
            `a second ${p.type} template (also probes[${first}]): ` +
            `one per type, as the probes are named ${name}/{server}/{type}`,
        });
      else seen.set(p.type, j);
      for (const x of def.crossCheck?.({ ...p, target: name }, t) ?? [])
        problems.push({ segs: [...at, ...x.at], message: x.message });
    });
  }
  return problems;
}

/** Whether a probe type's config has `servers` (the types that talk MCP through the gateway). */
function takesServers(schema: unknown): boolean {
  const shape = (schema as { shape?: unknown }).shape;
  return isRecord(shape) && 'servers' in shape;
}

function isRecord(v: unknown): v is Raw {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// The client_config probe type: one entry of a client's own config file (Codex, VS Code, mcpServers JSON,
// Open WebUI) checked as check-clients does, and tried as its client sends it.
import { lazyRun, type ProbeTypeDef, type ResultOf } from '../probe-type.js';
import type { ClientConfigDetails } from './details.js';
import { format } from './format.js';
import { schema, type ClientConfigProbeConfig } from './schema.js';
import { series } from './series.js';

export const clientConfig = {
  schema,
  run: lazyRun(() => import('./run.js')),
  // Read as run.ts reads it: a relative path from the working directory.
  files: (spec) => [{ at: ['file'], path: spec.file, ...(spec.optional && { optional: true }) }],
  series,
  format,
  // A broken client file is the client's, never the gateway's: /health lists these probes apart.
  aboutClient: true,
} satisfies ProbeTypeDef<typeof schema, ClientConfigDetails>;

/** One entry of a client file, tried once (check-clients --live, the report): the probe that does it. */
export function entryProbe(
  entry: { file: string; server: string },
  target: string,
  timeoutMs: number,
): ClientConfigProbeConfig & { scheduleSpec: { kind: 'every'; ms: number }; timeoutMs: number } {
  return {
    name: `client:${entry.server}`,
    type: 'client_config',
    target,
    file: entry.file,
    server: entry.server,
    live: true,
    scheduleSpec: { kind: 'every', ms: 60_000 },
    timeoutMs,
  };
}

/** The details of a result of this type (undefined for another type's result). */
export function entryDetails(result: ResultOf<object> & { type: string }): ClientConfigDetails | undefined {
  return result.type === clientConfig.schema.shape.type.value ? (result.details as ClientConfigDetails) : undefined;
}

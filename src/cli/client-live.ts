import type { Logger } from 'pino';
import { targetOf } from '../clients/checks.js';
import { LIVE_FINDING_CODES, type ClientFile, type Finding, type LiveFindingCode } from '../clients/types.js';
import type { Config, Probe } from '../config/parse.js';
import { entryDetails, entryProbe } from '../probes/client-config/index.js';
import type { Outcome } from '../probes/types.js';
import { runProbe } from '../scheduler/run.js';
import type { Redactor } from '../util/redact.js';

/** One entry tried as its client would send it. */
export interface LiveResult {
  file: string;
  server: string;
  outcome: Outcome | 'not_tried';
  reason: string;
}

/** How long one entry's initialize + tools/list may take. */
const LIVE_TIMEOUT_MS = 20_000;

/**
 * `check-clients --live`: every entry of a gateway run once as a client_config probe (its own
 * request, as its client sends it: its URL, its headers resolved the client's way, nothing of
 * mcpwatch's key), reported as a probe reports. The servers `x-mcp-servers` names that the catalog
 * lacks come back as findings: `server_down` (a warning) for a server the gateway has that is down now,
 * `unknown_server` for a name it does not have.
 */
export async function tryEntries(
  files: readonly ClientFile[],
  config: Config,
  redactor: Redactor,
  logger: Logger,
): Promise<{ live: LiveResult[]; findings: Finding[] }> {
  const live: LiveResult[] = [];
  const findings: Finding[] = [];
  for (const entry of files.flatMap((f) => f.entries)) {
    if (!entry.url) continue;
    const target = targetOf(entry.url.text, config.targets);
    if (!target) continue;
    const probe: Probe = entryProbe(entry, target.name, LIVE_TIMEOUT_MS);
    const result = await runProbe(probe, { target, logger, redactor }, { trigger: 'cli' }).result;
    const d = entryDetails(result);
    live.push({
      file: entry.file,
      server: entry.server,
      outcome: d?.live?.outcome ?? (d?.notSent ? 'not_tried' : result.outcome),
      reason: d?.live?.reason ?? d?.notSent ?? result.reason,
    });
    // What only the live try finds (the file's own findings are checkClientFile's): unknown_server, server_down.
    for (const f of d?.findings ?? []) {
      if (isLiveCode(f.code))
        findings.push({ ...f, code: f.code, file: entry.file, client: entry.client, server: entry.server });
    }
  }
  return { live, findings };
}

function isLiveCode(code: string): code is LiveFindingCode {
  return (LIVE_FINDING_CODES as readonly string[]).includes(code);
}

import type { Logger } from 'pino';
import { targetOf } from '../clients/checks.js';
import { keyLabel, type EntryKey, type EntryView } from '../clients/key-match.js';
import { LIVE_FINDING_CODES, type ClientFile, type Finding, type LiveFindingCode } from '../clients/types.js';
import type { Config, Probe } from '../config/parse.js';
import type { Target } from '../config/target.js';
import { entryDetails, entryProbe } from '../probes/client-config/index.js';
import type { TokenSources } from '../probes/oauth/token-source.js';
import { probeSchema, type ProbeResult } from '../probes/table.js';
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

/** How long one entry's initialize + tools/list may take when its target sets no `timeout`. */
const LIVE_TIMEOUT_MS = 20_000;

/** What a key sees of the gateway: one unfiltered tools/list as that key, or why it could not be read. */
export interface KeyView {
  target: string;
  /** The key's name; undefined for the target's own key (apiKey). */
  key?: string;
  outcome: Outcome;
  reason: string;
  /** Tools per server prefix (an ok run). */
  toolsPerServer?: Record<string, number>;
  /** When it came from a probe of the config (its run reused), that probe's name. */
  probe?: string;
}

/**
 * The mcp_catalog probe that reads a key's view: no servers (the key's grant decides), no expectations, as a one-off
 * run (no stateDir: nothing kept). `key` undefined: the target's own key.
 */
export function keyViewProbe(target: Target, key: string | undefined, timeoutMs: number): Probe {
  const spec = probeSchema.parse({
    name: `key-view-${target.name}${key === undefined ? '' : `-${key}`}`,
    type: 'mcp_catalog',
    target: target.name,
    ...(key !== undefined && { key }),
    expect: { serversPresent: false },
  });
  return { ...spec, scheduleSpec: { kind: 'every', ms: 60_000 }, timeoutMs };
}

/** A key view from an mcp_catalog run (its catalog's tools per server; a failed run's outcome and reason). */
export function keyViewOf(target: string, key: string | undefined, result: ProbeResult, probe?: string): KeyView {
  const per =
    result.type === 'mcp_catalog' && result.details && 'catalog' in result.details
      ? result.details.catalog.toolsPerServer
      : undefined;
  const listed = per !== undefined && (result.success || result.outcome === 'expectation_failed');
  return {
    target,
    ...(key !== undefined && { key }),
    outcome: result.outcome,
    reason: result.reason,
    ...(listed && { toolsPerServer: per }),
    ...(probe !== undefined && { probe }),
  };
}

/** What a key view run needs: the logging, and the targets' SSO tokens (one per target). */
export interface ViewDeps {
  redactor: Redactor;
  logger: Logger;
  tokens?: TokenSources;
}

/** One key's view, read now: an unfiltered tools/list as that key, through the probes' own session code. */
export async function readKeyView(
  target: Target,
  key: string | undefined,
  { redactor, logger, tokens }: ViewDeps,
): Promise<KeyView> {
  const probe = keyViewProbe(target, key, target.timeout ?? LIVE_TIMEOUT_MS);
  const oauth = tokens?.for(target);
  const result = await runProbe(probe, { target, logger, redactor, ...(oauth && { oauth }) }, { trigger: 'cli' })
    .result;
  return keyViewOf(target.name, key, result);
}

/** The servers a view lists tools of. */
export function serversSeen(per: Readonly<Record<string, number>> | undefined): string[] {
  return Object.entries(per ?? {})
    .filter(([, n]) => n > 0)
    .map(([s]) => s)
    .sort();
}

/**
 * Pure: the servers the main key lists that the entry's key did not, among those the entry asks for (`named`, its
 * x-mcp-servers) or all when it names none.
 */
export function unseenServers(
  main: Readonly<Record<string, number>>,
  sees: Readonly<Record<string, number>>,
  named: readonly string[],
): string[] {
  const mine = new Set(serversSeen(sees));
  return serversSeen(main).filter((s) => !mine.has(s) && (named.length === 0 || named.includes(s)));
}

/**
 * `check-clients --live`: every entry of a gateway run once as a client_config probe (its own
 * request, as its client sends it: its URL, its headers resolved the client's way, nothing of
 * mcpwatch's key), reported as a probe reports. The servers `x-mcp-servers` names that the catalog
 * lacks come back as findings: `server_down` (a warning) for a server the gateway has that is down now,
 * `unknown_server` for a name it does not have. Each try that listed tools says what the entry's key saw; for an
 * entry that does not send the target's own key, `mainView` (the target's own key's view, read once per target)
 * names the servers its key does not see.
 */
export async function tryEntries(
  files: readonly ClientFile[],
  config: Config,
  redactor: Redactor,
  logger: Logger,
  keys: readonly EntryKey[] = [],
  mainView?: (target: Target) => Promise<KeyView | undefined>,
): Promise<{ live: LiveResult[]; findings: Finding[]; views: EntryView[] }> {
  const live: LiveResult[] = [];
  const findings: Finding[] = [];
  const views: EntryView[] = [];
  for (const entry of files.flatMap((f) => f.entries)) {
    if (!entry.url) continue;
    const target = targetOf(entry.url.text, config.targets);
    if (!target) continue;
    // Within the target's timeout, as its probes are (a gateway spawning stdio servers for a session can be slow).
    const probe: Probe = entryProbe(entry, target.name, target.timeout ?? LIVE_TIMEOUT_MS);
    const result = await runProbe(probe, { target, logger, redactor }, { trigger: 'cli' }).result;
    const d = entryDetails(result);
    const key = keys.find((k) => k.file === entry.file && k.server === entry.server && k.line === entry.line);
    const sees = d?.live?.outcome === 'ok' ? d.live.toolsPerServer : undefined;
    let unseen: string[] | undefined;
    if (sees && key && key.which !== 'main' && mainView) {
      const main = await mainView(target);
      if (main?.toolsPerServer) unseen = unseenServers(main.toolsPerServer, sees, namedIn(entry.headers));
    }
    live.push({
      file: entry.file,
      server: entry.server,
      outcome: d?.live?.outcome ?? (d?.notSent ? 'not_tried' : result.outcome),
      reason: d?.live?.reason ?? d?.notSent ?? result.reason,
    });
    if (sees) {
      views.push({
        file: entry.file,
        server: entry.server,
        ...(key && { key: keyLabel(key) }),
        sees,
        ...(unseen && { unseen }),
      });
    }
    // What only the live try finds (the file's own findings are checkClientFile's): unknown_server, server_down.
    for (const f of d?.findings ?? []) {
      if (isLiveCode(f.code))
        findings.push({ ...f, code: f.code, file: entry.file, client: entry.client, server: entry.server });
    }
  }
  return { live, findings, views };
}

/** The servers an entry's x-mcp-servers names, when written in the file (a value from elsewhere counts as none). */
function namedIn(headers: ClientFile['entries'][number]['headers']): string[] {
  const h = headers.find((x) => x.name.toLowerCase() === 'x-mcp-servers');
  if (!h || h.value.kind === 'env') return [];
  return h.value.text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function isLiveCode(code: string): code is LiveFindingCode {
  return (LIVE_FINDING_CODES as readonly string[]).includes(code);
}

import { parseArgs } from 'node:util';
import { formatDuration } from './config/duration.js';
import { loadConfig, resolveConfigPath } from './config/load.js';
import { formatProblem } from './config/parse.js';
import { runAgentProcess } from './main.js';
import type { ProbeResult } from './probes/types.js';
import { runProbe } from './scheduler/run.js';
import { createLogger } from './util/logger.js';
import { Redactor } from './util/redact.js';
import { VERSION } from './version.js';

const HELP = `mcpwatch ${VERSION}: monitors MCP gateways (LiteLLM) with scheduled MCP probes, log tailing and Prometheus metrics.

Usage:
  mcpwatch [run] [--config FILE]            run the agent until SIGTERM/SIGINT (SIGHUP reloads the config)
  mcpwatch check-config [--config FILE]     validate the config; print every problem as "path: message"
  mcpwatch probe NAME [--config FILE] [--json]
                                            run one probe once and print what was sent and what came back
  mcpwatch --version | --help

The config file is --config, else $MCPWATCH_CONFIG, else config/mcpwatch.yaml.

Exit codes: run 0 after a clean shutdown, 2 on an invalid config; check-config 0 valid, 1 invalid;
probe 0 success, 1 probe failed, 2 usage or config error.
`;

class UsageError extends Error {}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [command = 'run', ...rest] = positionals;
  const configPath = resolveConfigPath(values.config, env);
  try {
    switch (command) {
      case 'run':
        if (rest.length) throw new UsageError(`run takes no arguments, got: ${rest.join(' ')}`);
        if (values.json) throw new UsageError('--json is for the probe command');
        return await runAgentProcess({ configPath, env });
      case 'check-config':
        if (rest.length) throw new UsageError(`check-config takes no arguments, got: ${rest.join(' ')}`);
        return await checkConfig(configPath, env);
      case 'probe':
        if (rest.length !== 1) throw new UsageError('probe needs exactly one probe NAME');
        return await probeOnce(configPath, env, rest[0]!, values.json ?? false);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message);
    throw err;
  }
}

function usage(message: string): number {
  process.stderr.write(`mcpwatch: ${message}\n\n${HELP}`);
  return 2;
}

async function checkConfig(path: string, env: NodeJS.ProcessEnv): Promise<number> {
  const r = await loadConfig(path, env);
  if (!r.ok) {
    for (const p of r.problems) process.stdout.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${path}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}\n`);
    return 1;
  }
  for (const w of r.warnings) process.stdout.write(`warning: ${formatProblem(w)}\n`);
  const c = r.config;
  process.stdout.write(`${path}: OK (${Object.keys(c.targets).length} targets, ${c.probes.length} probes, ${c.logs?.containers.length ?? 0} containers)\n`);
  return 0;
}

async function probeOnce(path: string, env: NodeJS.ProcessEnv, name: string, json: boolean): Promise<number> {
  const r = await loadConfig(path, env);
  if (!r.ok) {
    for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 2;
  }
  const probe = r.config.probes.find((p) => p.name === name);
  if (!probe) {
    const names = r.config.probes.map((p) => p.name);
    process.stderr.write(`mcpwatch: no probe named "${name}" in ${path}${names.length ? ` (probes: ${names.join(', ')})` : ''}\n`);
    return 2;
  }
  const redactor = new Redactor();
  for (const t of Object.values(r.config.targets)) redactor.addSecrets([t.apiKey]);
  // Logs go to stderr so stdout carries only the result.
  const logger = createLogger({ level: 'warn', redactor, destination: process.stderr });
  const target = r.config.targets[probe.target]!;
  const result = await runProbe(probe, { target, logger, redactor }, { trigger: 'cli' }).result;
  process.stdout.write(json ? `${JSON.stringify({ ...result, startedAt: new Date(result.startedAt).toISOString() })}\n` : formatResult(result, target.url));
  return result.success ? 0 : 1;
}

const INDENT = '              ';

/**
 * A run as a person reads it: each step with its time (requests with their masked headers, only
 * what changed after the first one), the phases, the result, and the details per probe type.
 */
export function formatResult(r: ProbeResult, url: string): string {
  const lines: string[] = [];
  lines.push(`probe ${r.probe} (${r.type}) → target ${r.target} ${url}`);
  // Headers are compared with the previous request of the same method (else the previous one).
  const prevByMethod = new Map<string, Record<string, unknown>>();
  let prevHeaders: Record<string, unknown> | undefined;
  for (const s of r.steps) {
    lines.push(`  ${String(s.t).padStart(6)}ms  ${s.msg}`);
    const method = /^(?:\[[^\]]*\] )?([A-Z]+) /.exec(s.msg)?.[1] ?? '';
    for (const [k, v] of Object.entries(s.data ?? {})) {
      if (k === 'headers' && v && typeof v === 'object' && !Array.isArray(v)) {
        const headers = v as Record<string, unknown>;
        lines.push(...formatHeaders(headers, prevByMethod.get(method) ?? prevHeaders));
        prevByMethod.set(method, headers);
        prevHeaders = headers;
      } else if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [hk, hv] of Object.entries(v as Record<string, unknown>)) lines.push(`${INDENT}${k}.${hk}: ${show(hv)}`);
      } else lines.push(`${INDENT}${k}: ${show(v)}`);
    }
  }
  const phases = Object.entries(r.phases).map(([p, ms]) => `${p} ${formatDuration(ms ?? 0)}`);
  if (phases.length) lines.push(`phases:   ${phases.join(', ')}`);
  lines.push(`duration: ${formatDuration(r.durationMs)}`);
  lines.push(`result:   ${r.success ? 'OK' : 'FAILED'} ${r.outcome}: ${r.reason}`);
  if (r.details) lines.push(...formatDetails(r.details));
  return `${lines.join('\n')}\n`;
}

/** All headers the first time; after that only what differs from the previous request's. */
function formatHeaders(headers: Record<string, unknown>, prev: Record<string, unknown> | undefined): string[] {
  const all = Object.entries(headers).map(([k, v]) => `${INDENT}${k}: ${show(v)}`);
  if (!prev) return all;
  const changed = Object.entries(headers).filter(([k, v]) => prev[k] !== v);
  const dropped = Object.keys(prev).filter((k) => !(k in headers));
  if (changed.length === 0 && dropped.length === 0) return [`${INDENT}(headers as above)`];
  if (changed.length + dropped.length > Object.keys(headers).length / 2) return all;
  return [
    `${INDENT}(headers as above, but:)`,
    ...changed.map(([k, v]) => `${INDENT}${k}: ${show(v)}`),
    ...dropped.map((k) => `${INDENT}${k}: (not sent)`),
  ];
}

interface CatalogDetails {
  tools: number;
  toolsPerServer: Record<string, number>;
  fingerprint: string;
  changed: boolean;
  added: string[];
  removed: string[];
  changedSchemas: string[];
}

/** The details of a result, readable for the MCP types; anything else as JSON. */
function formatDetails(details: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (k === 'catalog' && v && typeof v === 'object') {
      const c = v as CatalogDetails;
      const per = Object.entries(c.toolsPerServer ?? {}).map(([s, n]) => `${s}: ${n}`);
      lines.push(`catalog:  ${c.tools} tools${per.length ? ` (${per.join(', ')})` : ''}, ${c.fingerprint ? `fingerprint ${c.fingerprint}` : 'no catalog (tools/list failed)'}`);
      if (c.changed) {
        lines.push(`changed:  since the previous run of this probe`);
        if (c.added?.length) lines.push(`  added:   ${c.added.join(', ')}`);
        if (c.removed?.length) lines.push(`  removed: ${c.removed.join(', ')}`);
        if (c.changedSchemas?.length) lines.push(`  input schema changed: ${c.changedSchemas.join(', ')}`);
      }
    } else if (k === 'expectedTools' && v && typeof v === 'object') {
      const e = Object.entries(v as Record<string, boolean>);
      if (e.length) lines.push(`expected: ${e.map(([t, ok]) => `${t} ${ok ? 'present' : 'MISSING'}`).join(', ')}`);
    } else if (k === 'toolNames' && Array.isArray(v)) {
      lines.push(...wrap('tools:    ', v.map(String)));
    } else if (k === 'authChecks' && v && typeof v === 'object') {
      lines.push('checks:');
      for (const [check, c] of Object.entries(v as Record<string, { enforced?: boolean; accepted?: boolean; reason?: string }>)) {
        const verdict =
          c.enforced === true ? 'rejected, as it must be' : c.enforced === false ? 'NOT REJECTED' : c.accepted === true ? 'accepted, as it must be' : c.accepted === false ? 'REFUSED' : 'unknown';
        lines.push(`  ${check.padEnd(17)} ${verdict}: ${c.reason ?? ''}`);
      }
    } else if (k === 'text' && typeof v === 'string') {
      lines.push(`text:     ${v}`);
    } else {
      rest[k] = v;
    }
  }
  if (Object.keys(rest).length) lines.push(`details:  ${JSON.stringify(rest)}`);
  return lines;
}

function wrap(head: string, items: string[], width = 100): string[] {
  const out: string[] = [];
  let line = head;
  for (const [i, item] of items.entries()) {
    const piece = `${item}${i < items.length - 1 ? ',' : ''}`;
    if (line.length + piece.length + 1 > width && line.trim() !== head.trim()) {
      out.push(line.trimEnd());
      line = ' '.repeat(head.length);
    }
    line += `${piece} `;
  }
  out.push(line.trimEnd());
  return out;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

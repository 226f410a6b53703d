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

export function formatResult(r: ProbeResult, url: string): string {
  const lines: string[] = [];
  lines.push(`probe ${r.probe} (${r.type}) → target ${r.target} ${url}`);
  for (const s of r.steps) {
    lines.push(`  ${String(s.t).padStart(6)}ms  ${s.msg}`);
    for (const [k, v] of Object.entries(s.data ?? {})) {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [hk, hv] of Object.entries(v as Record<string, unknown>)) lines.push(`            ${k === 'headers' ? '' : `${k}.`}${hk}: ${typeof hv === 'string' ? hv : JSON.stringify(hv)}`);
      } else lines.push(`            ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
  }
  const phases = Object.entries(r.phases).map(([p, ms]) => `${p} ${formatDuration(ms ?? 0)}`);
  if (phases.length) lines.push(`phases:   ${phases.join(', ')}`);
  lines.push(`duration: ${formatDuration(r.durationMs)}`);
  lines.push(`result:   ${r.success ? 'OK' : 'FAILED'} ${r.outcome}: ${r.reason}`);
  if (r.details) lines.push(`details:  ${JSON.stringify(r.details)}`);
  return `${lines.join('\n')}\n`;
}

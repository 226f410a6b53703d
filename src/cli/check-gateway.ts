import type { Config } from '../config/parse.js';
import type { Target } from '../config/target.js';
import { checkGatewayConfig, secretTexts } from '../gateway-config/checks.js';
import { gatewayEnv } from '../gateway-config/env-file.js';
import type { GatewayRead } from '../gateway-config/live.js';
import { readEnvFiles, readGatewayConfig } from '../gateway-config/read.js';
import { GatewayConfigError, type GatewayFinding } from '../gateway-config/types.js';
import { mayCarrySecret } from '../util/credentials.js';
import { Redactor } from '../util/redact.js';
import { loadCommandConfig, redactedLogging } from './prologue.js';

/** `FILE:LINE: error|warning: SERVER: [code] message — fix: …`, as check-clients prints its findings. */
export function formatGatewayFinding(f: GatewayFinding): string {
  return `${f.file}:${f.line}: ${f.severity}: ${f.server}: [${f.code}] ${f.message} — fix: ${f.fix}`;
}

/** What the gateway's config checks found: the findings, what `--live` read, or why the files could not be read. */
export interface GatewayChecks {
  file: string;
  envFiles: string[];
  findings: GatewayFinding[];
  /** `--live`: the target's gateway, its version and servers, or why they could not be read. */
  live?: GatewayRead;
  /** config.yaml or an env file that cannot be read or parsed. */
  error?: string;
}

/** `FILE: live: target T (URL): LiteLLM V, N servers: a, b` or the reason it could not be read. */
export function formatGatewayLive(file: string, l: GatewayRead): string {
  const head = `${file}: live: target ${l.target} (${l.url})`;
  if ('error' in l) return `${head}: could not read the gateway's server list: ${l.error}`;
  const names = l.servers.map((s) => s.name);
  const listed = names.length ? `: ${names.join(', ')}` : '';
  const servers = `${names.length} server${names.length === 1 ? '' : 's'}${listed}`;
  return `${head}: LiteLLM ${l.version ?? '(version not read)'}, ${servers}`;
}

/** The target `--live` reads: the first without an SSO gate (the server list is read with the key alone). */
export function liveTarget(config: Config): Target | undefined {
  const targets = Object.values(config.targets);
  return targets.find((t) => !t.oauth2);
}

/**
 * LiteLLM's config.yaml checked as LiteLLM reads it, with the env files it runs with (and this environment for
 * what they lack); with `live` (mcpwatch's config), also against what the gateway of its target has. Every message
 * masked: the values of the env files and the secrets written in config.yaml are never printed. For check-gateway
 * and the report.
 */
export async function gatewayChecks(
  file: string,
  envFiles: readonly string[],
  env: NodeJS.ProcessEnv,
  live: Config | undefined,
): Promise<GatewayChecks> {
  const base = { file, envFiles: [...envFiles], findings: [] };
  const redactor = live ? redactedLogging(live).redactor : new Redactor();
  let cfg, files;
  try {
    cfg = await readGatewayConfig(file);
    files = await readEnvFiles(envFiles);
  } catch (err) {
    if (!(err instanceof GatewayConfigError)) throw err;
    return { ...base, error: redactor.mask(err.message) };
  }
  for (const f of files)
    for (const [k, v] of f) if (mayCarrySecret(k) || v.value.includes('://')) redactor.addSecrets([v.value]);
  redactor.addSecrets(secretTexts(cfg));
  const genv = gatewayEnv(files, env);
  let read: GatewayRead | undefined;
  const findings: GatewayFinding[] = [];
  const target = live && liveTarget(live);
  if (target) {
    // undici is loaded only to ask the gateway.
    const { readGateway } = await import('../gateway-config/live.js');
    const { compareServers } = await import('../gateway-config/live-findings.js');
    read = await readGateway(target, redactor);
    if ('servers' in read) findings.push(...compareServers(cfg, target.name, read.servers));
  }
  const version = read && 'version' in read ? read.version : undefined;
  findings.push(...checkGatewayConfig(cfg, genv, version === undefined ? {} : { version }));
  findings.sort((a, b) => a.line - b.line);
  return { ...base, findings: redactor.maskDeep(findings), ...(read && { live: read }) };
}

/** The live read failed: the comparison could not be made. */
export const gatewayLiveFailed = (c: Pick<GatewayChecks, 'live'>): boolean => !!c.live && 'error' in c.live;

/**
 * `mcpwatch check-gateway LITELLM_CONFIG [--env-file FILE]...`: LiteLLM's config.yaml as LiteLLM reads it; with
 * `--live` also against the gateway of the config's target. 0 without an error-level finding (and the live read
 * done), 1 with one, 2 for a usage or config error or a file that cannot be read or parsed.
 */
export async function checkGateway(
  configPath: string,
  env: NodeJS.ProcessEnv,
  file: string,
  opts: { json: boolean; live: boolean; envFiles: readonly string[] },
): Promise<number> {
  let config: Config | undefined;
  if (opts.live) {
    config = await loadCommandConfig(configPath, env, `${configPath}: invalid config: --live needs its targets`);
    if (!config) return 2;
    if (!liveTarget(config)) {
      process.stderr.write(
        `mcpwatch: ${configPath}: --live reads the gateway through a target without an SSO gate (oauth2), ` +
          'and the config has none\n',
      );
      return 2;
    }
  }
  const c = await gatewayChecks(file, opts.envFiles, env, config);
  if (c.error) {
    process.stderr.write(`mcpwatch: ${c.error}\n`);
    return 2;
  }
  if (opts.json)
    process.stdout.write(`${JSON.stringify({ findings: c.findings, ...(c.live && { live: c.live }) }, null, 2)}\n`);
  else {
    for (const f of c.findings) process.stdout.write(`${formatGatewayFinding(f)}\n`);
    if (c.live) process.stdout.write(`${formatGatewayLive(file, c.live)}\n`);
    const errors = c.findings.filter((f) => f.severity === 'error').length;
    const warnings = c.findings.length - errors;
    process.stdout.write(
      `${file} checked: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`,
    );
  }
  return c.findings.some((f) => f.severity === 'error') || gatewayLiveFailed(c) ? 1 : 0;
}

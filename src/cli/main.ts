import { parseArgs } from 'node:util';
import { parseDuration } from '../config/duration.js';
import type { Shard } from '../config/shard.js';
import { VERSION } from '../version.js';

// Each command's code is imported when that command runs: `--version`, `--help` and check-config load no HTTP
// server, Docker client, metrics registry or MCP SDK (test/cli/main.test.ts holds that).

const ABOUT = 'monitors MCP gateways (LiteLLM) with scheduled MCP probes, log tailing and Prometheus metrics';

const HELP = `mcpwatch ${VERSION}: ${ABOUT}.

Usage:
  mcpwatch [run] [--config FILE] [--shard I/N] [--web.enable-lifecycle] [--web.config.file FILE]
                                            run the agent until SIGTERM/SIGINT (SIGHUP reloads the config);
                                            --shard I/N runs only shard I of N of the probes (those whose
                                            name hashes to I), overriding the config's shard;
                                            --web.enable-lifecycle serves POST /-/reload (else 403);
                                            --web.config.file (or $MCPWATCH_WEB_CONFIG_FILE) names a web
                                            config in the Prometheus exporter-toolkit format: TLS, client
                                            certificates, basic auth, response headers
  mcpwatch check-config [--config FILE] [--web.config.file FILE]
                                            validate the config and the web config (as run reads them);
                                            print every problem as "path: message"
  mcpwatch probe NAME [--config FILE] [--json]
                                            run one probe once and print what was sent and what came back
  mcpwatch accept-catalog PROBE [--config FILE]
                                            a pinned mcp_catalog probe (expect.pinned): the catalog the agent
                                            saw last becomes the pin (in stateDir); the agent takes it at the
                                            probe's next run
  mcpwatch check-clients [--config FILE] [--live] [--json] PATH...
                                            check MCP client configs (Codex config.toml, VS Code mcp.json or
                                            settings.json, mcpServers JSON, Open WebUI env files) against the
                                            gateways of the config: FILE:LINE: severity: SERVER: [code] message;
                                            --live also sends each entry's own initialize + tools/list
  mcpwatch check-gateway [--config FILE] [--live] [--json] LITELLM_CONFIG [--env-file FILE]...
                                            check LiteLLM's own config.yaml as LiteLLM reads it, with the env
                                            files it runs with: its mcp_servers, references nothing sets,
                                            secrets written in clear, the stdio gate of recent releases;
                                            --live also compares its servers with the gateway's (the config's
                                            target); FILE:LINE: severity: SERVER: [code] message
  mcpwatch report [--config FILE] [--clients PATH...] [--gateway-config FILE [--env-file FILE]...]
                 [--out DIR] [--since DURATION] [--json]
                                            run every probe once, check (and try) the client files and
                                            LiteLLM's config.yaml (as check-gateway --live), read
                                            each configured container's log of the last DURATION (default
                                            1h), and write mcpwatch-report-<UTC time>.md and .json to DIR
                                            (default ./reports); --json prints the JSON report too
  mcpwatch status [--url URL] [--config FILE] [--json]
                                            a running agent's state, failing first: each probe's outcome,
                                            reason and age, the servers of the catalog probes, the client
                                            entries, the followed containers; URL defaults to the config's
                                            listen (0.0.0.0 asked on 127.0.0.1), else http://127.0.0.1:9464
  mcpwatch --version | --help

The config file is --config, else $MCPWATCH_CONFIG, else config/mcpwatch.yaml.

Exit codes: run 0 after a clean shutdown, 2 on an invalid config; check-config 0 valid, 1 invalid;
probe 0 success, 1 probe failed, 2 usage or config error; accept-catalog 0 accepted (or nothing to
accept), 1 nothing to accept yet (no pin, no catalog seen) or stateDir unreadable, 2 usage or config error
(no such probe, not a pinned mcp_catalog probe); check-clients 0 no error-level finding, 1 at least
one, 2 usage or config error or a file that cannot be read or parsed; check-gateway the same
(1 also when --live cannot read the gateway's servers); report 0 all green, 1 something failed (a probe,
a client entry, a live try, a gateway config finding, a log that could not be read), 2 usage or
config error (nothing is written); status 0 all is well, 1 something fails, 2 the agent cannot be
reached (or is not mcpwatch).
`;

class UsageError extends Error {}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  live: { type: 'boolean' },
  clients: { type: 'string', multiple: true },
  'gateway-config': { type: 'string' },
  'env-file': { type: 'string', multiple: true },
  out: { type: 'string' },
  since: { type: 'string' },
  shard: { type: 'string' },
  'web.enable-lifecycle': { type: 'boolean' },
  'web.config.file': { type: 'string' },
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
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
  try {
    refuseOtherCommandsFlags(command, values);
    const { resolveConfigPath } = await import('../config/load.js');
    return await dispatch(command, rest, values, resolveConfigPath(values.config, env), env);
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message);
    throw err;
  }
}

/** A flag of another command is refused, not ignored. */
function refuseOtherCommandsFlags(command: string, values: Values): void {
  if (command !== 'report') {
    const only = (['clients', 'out', 'since'] as const).find((k) => values[k] !== undefined);
    if (only) throw new UsageError(`--${only} is for the report command`);
  }
  if (command !== 'report' && values['gateway-config'] !== undefined)
    throw new UsageError('--gateway-config is for the report command (check-gateway takes the file itself)');
  if (command !== 'report' && command !== 'check-gateway' && values['env-file'] !== undefined)
    throw new UsageError('--env-file is for the check-gateway and report commands');
  if (command === 'report' && values['env-file'] !== undefined && values['gateway-config'] === undefined)
    throw new UsageError('--env-file goes with --gateway-config (the env files of the LiteLLM config it checks)');
  if (command !== 'status' && values.url !== undefined) throw new UsageError('--url is for the status command');
  if (command === 'status' && values.shard !== undefined)
    throw new UsageError('--shard is for the run command (status shows the shard of the agent it asks)');
  // probe, check-config, check-clients and report use every probe of the config: no shard.
  if (command !== 'run' && values.shard !== undefined)
    throw new UsageError(`--shard is for the run command (${command} uses every probe of the config)`);
  if (command !== 'run' && values['web.enable-lifecycle'] !== undefined)
    throw new UsageError('--web.enable-lifecycle is for the run command');
  if (command !== 'run' && command !== 'check-config' && values['web.config.file'] !== undefined)
    throw new UsageError('--web.config.file is for the run and check-config commands');
}

/** The command's own arguments checked, then its module imported and run. */
async function dispatch(
  command: string,
  rest: string[],
  values: Values,
  configPath: string,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  switch (command) {
    case 'run':
      return await run(rest, values, configPath, env);
    case 'check-config': {
      if (rest.length) throw new UsageError(`check-config takes no arguments, got: ${rest.join(' ')}`);
      const { checkConfig } = await import('./check-config.js');
      return await checkConfig(configPath, env, values['web.config.file']);
    }
    case 'probe': {
      if (rest.length !== 1) throw new UsageError('probe needs exactly one probe NAME');
      const { probeOnce } = await import('./probe.js');
      return await probeOnce(configPath, env, rest[0]!, values.json ?? false);
    }
    case 'accept-catalog': {
      if (rest.length !== 1 || values.json || values.live)
        throw new UsageError('accept-catalog takes one PROBE (a pinned mcp_catalog probe), and no --json or --live');
      return await (await import('./accept-catalog.js')).acceptCatalog(configPath, env, rest[0]!);
    }
    case 'check-clients': {
      if (rest.length === 0) throw new UsageError('check-clients needs at least one client config PATH');
      const { checkClients } = await import('./check-clients.js');
      return await checkClients(configPath, env, rest, { json: values.json ?? false, live: values.live ?? false });
    }
    case 'check-gateway': {
      if (rest.length !== 1)
        throw new UsageError("check-gateway needs exactly one LITELLM_CONFIG (LiteLLM's config.yaml)");
      const { checkGateway } = await import('./check-gateway.js');
      return await checkGateway(configPath, env, rest[0]!, {
        json: values.json ?? false,
        live: values.live ?? false,
        envFiles: values['env-file'] ?? [],
      });
    }
    case 'report': {
      // `--clients a.toml b.json`: the paths after the first come as positionals.
      if (rest.length && !values.clients)
        throw new UsageError(`report takes no arguments (client files go after --clients), got: ${rest.join(' ')}`);
      if (values.live)
        throw new UsageError('report always tries the client entries: --live is for check-clients and check-gateway');
      const since = values.since === undefined ? undefined : sinceFlag(values.since);
      const report = await import('./report.js');
      return await report.writeReport(configPath, env, {
        clients: [...(values.clients ?? []), ...rest],
        ...(values['gateway-config'] !== undefined && {
          gatewayConfig: { file: values['gateway-config'], envFiles: values['env-file'] ?? [] },
        }),
        out: values.out ?? report.DEFAULT_REPORT_DIR,
        json: values.json ?? false,
        sinceMs: since ?? report.DEFAULT_REPORT_SINCE_MS,
      });
    }
    case 'status': {
      if (rest.length) throw new UsageError(`status takes no arguments, got: ${rest.join(' ')}`);
      if (values.live) throw new UsageError('--live is for check-clients and check-gateway');
      const status = await import('./status.js');
      const url = values.url === undefined ? undefined : status.parseStatusUrl(values.url);
      if (url && !(url instanceof URL)) throw new UsageError(`--url: ${url.error}`);
      return await status.showStatus(
        {
          ...(url && { url }),
          json: values.json ?? false,
          configPath,
          configNamed: !!(values.config || env.MCPWATCH_CONFIG),
        },
        env,
      );
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** `mcpwatch run`: its flags checked, then the agent run as this process until a signal stops it. */
async function run(rest: string[], values: Values, configPath: string, env: NodeJS.ProcessEnv): Promise<number> {
  if (rest.length) throw new UsageError(`run takes no arguments, got: ${rest.join(' ')}`);
  if (values.json)
    throw new UsageError('--json is for the probe, check-clients, check-gateway, report and status commands');
  const shard = values.shard === undefined ? undefined : await shardFlag(values.shard);
  const { runAgentProcess } = await import('../main.js');
  return await runAgentProcess({
    configPath,
    env,
    ...(shard && { shard }),
    ...(values['web.enable-lifecycle'] && { enableLifecycle: true }),
    ...(values['web.config.file'] !== undefined && { webConfigFile: values['web.config.file'] }),
  });
}

/** `--shard I/N`, or a usage error saying what is expected. */
async function shardFlag(s: string): Promise<Shard> {
  const { parseShardFlag } = await import('../config/shard.js');
  const shard = parseShardFlag(s);
  if ('error' in shard) throw new UsageError(`--shard: ${shard.error}`);
  return shard;
}

/** `--since DURATION` in ms, or a usage error. */
function sinceFlag(s: string): number {
  const d = parseDuration(s);
  if (typeof d !== 'number') throw new UsageError(`--since: ${d.error}`);
  return d;
}

function usage(message: string): number {
  process.stderr.write(`mcpwatch: ${message}\n\n${HELP}`);
  return 2;
}

import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { parseListen } from '../config/fields.js';
import { expandVars } from '../config/interpolate.js';
import { agentClient, askedUrl, type AgentClient } from '../config/web-client.js';
import type { HealthReport } from '../runtime/health-view.js';
import type { StatusDocument } from '../runtime/status-view.js';
import { statusLines, statusSummary } from './status-render.js';

// `mcpwatch status`: a running agent's state in a terminal, read from its GET /status and GET /health. It loads
// none of the agent: a URL, two requests, and the pure renderer (status-render.ts). An agent behind a web config
// (TLS, client certificates, basic auth) is asked as the image's healthcheck asks it (config/web-client.ts).

/** Where the agent is asked when neither --url nor the config's `listen` says. */
export const DEFAULT_STATUS_URL = 'http://127.0.0.1:9464';
/** How long both requests may take together. */
export const STATUS_TIMEOUT_MS = 5_000;
/** An answer larger than this is not mcpwatch's /status. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface StatusOptions {
  /** `--url`, already checked by parseStatusUrl; else the config's `listen`. */
  url?: URL;
  json: boolean;
  configPath: string;
  /** The config was named (--config or $MCPWATCH_CONFIG): a file that cannot be read is an error, not the default. */
  configNamed: boolean;
  timeoutMs?: number;
  now?: () => number;
}

/** 0 all is well, 1 something fails, 2 the agent cannot be reached (or is not mcpwatch), or no URL to ask. */
export async function showStatus(opts: StatusOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const base = opts.url ?? (await urlFromConfig(opts.configPath, opts.configNamed, env));
  if (!(base instanceof URL)) {
    process.stderr.write(`mcpwatch status: ${base.error}\n`);
    return 2;
  }
  // The web config of the agent's config (or MCPWATCH_WEB_CONFIG_FILE), read also when --url names the agent.
  const client = agentClient(opts.configPath, env);
  const url = askedUrl(base, client.tls);
  const shown = displayUrl(url);
  const read = 'error' in client ? client : await readAgent(url, opts.timeoutMs ?? STATUS_TIMEOUT_MS, client);
  if ('error' in read) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ url: shown, reachable: false, error: read.error })}\n`);
    else process.stderr.write(`mcpwatch status: cannot read mcpwatch at ${shown}: ${read.error}\n`);
    return 2;
  }
  const summary = statusSummary(shown, read.status, read.health, (opts.now ?? Date.now)());
  process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `${statusLines(summary).join('\n')}\n`);
  return summary.ok ? 0 : 1;
}

/** `--url`: http(s), `host:port` taken as http; a base path is kept (a proxy's prefix). */
export function parseStatusUrl(s: string): URL | { error: string } {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `http://${s}`);
  } catch {
    // Whatever is written before an @ may be a password: not echoed.
    const shown = s.replace(/^([^/]*\/\/)?[^/@]*@/, '$1***@');
    return { error: `expected the agent's URL (e.g. http://127.0.0.1:9464), got "${shown}"` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { error: `expected an http or https URL, got ${url.protocol.slice(0, -1)}` };
  // Never echoed: what is written there may be a secret. Basic auth comes from a file (config/web-client.ts).
  if (url.username || url.password)
    return {
      error: 'credentials in the URL are not used (basic auth: MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE)',
    };
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** The URL as printed: no trailing slash. */
function displayUrl(u: URL): string {
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * The agent's URL from the config's `listen` (0.0.0.0 and :: as the loopback address), read without the rest of
 * the config: the keys and files it names need not be there. No file at the default path: the default URL.
 */
export async function urlFromConfig(
  path: string,
  named: boolean,
  env: Readonly<Record<string, string | undefined>>,
): Promise<URL | { error: string }> {
  const fail = (why: string): { error: string } => ({
    error: `cannot tell where the agent listens from ${path}: ${why} (give --url)`,
  });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' && !named) return new URL(`${DEFAULT_STATUS_URL}/`);
    return fail(e.code === 'ENOENT' ? 'no such file' : e.message);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return fail(`not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const raw = doc && typeof doc === 'object' && 'listen' in doc ? doc.listen : undefined;
  if (raw === undefined || raw === null) return new URL(`${DEFAULT_STATUS_URL}/`);
  if (typeof raw !== 'string') return fail('listen is not host:port');
  const listen = expandVars(raw, env);
  if (typeof listen !== 'string') return fail(`listen: ${listen.error}`);
  const hp = parseListen(listen);
  if (!hp) return fail(`listen is not host:port: "${listen}"`);
  return new URL(`http://${loopbackFor(hp.host)}:${hp.port}/`);
}

/** Where to reach an agent listening on `host`: all addresses are reached on the loopback. */
function loopbackFor(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || /^(0*:)+0*$/.test(host)) return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

type AgentRead = { status: StatusDocument; health: HealthReport } | { error: string };

/** GET /status and GET /health at once, within one deadline; why not, when either fails. */
export async function readAgent(base: URL, timeoutMs: number, client: AgentClient): Promise<AgentRead> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const [status, health] = await Promise.all([
    getJson(client, new URL('status', base), deadline),
    getJson(client, new URL('health', base), deadline),
  ]);
  const why = (path: string, a: Answer): string =>
    'error' in a ? describeError(a.error, base, timeoutMs) : (a.refused ?? notMcpwatch(path, a));
  if ('error' in status || !isStatus(status.body)) return { error: why('/status', status) };
  if ('error' in health || !isHealth(health.body)) return { error: why('/health', health) };
  return { status: status.body, health: health.body };
}

type Answer = { code: number; contentType: string; body: unknown; refused?: string } | { error: Error };

/** One GET, its body parsed as JSON when it is (else undefined); never rejects. */
async function getJson(client: AgentClient, url: URL, signal: AbortSignal): Promise<Answer> {
  try {
    const a = await client.get(url, { signal, maxBytes: MAX_ANSWER_BYTES });
    let body: unknown;
    try {
      body = JSON.parse(a.body);
    } catch {
      body = undefined;
    }
    const refused = client.refused(a);
    return { code: a.code, contentType: a.contentType, body, ...(refused && { refused }) };
  } catch (err) {
    return { error: err as Error };
  }
}

const CERT_VARS = 'set MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE';

/** Why the agent could not be read, in words: connection refused, timeout, a host not found, … */
export function describeError(err: Error, base: URL, timeoutMs: number): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const where = base.host;
  const suffix = code ? ` (${code})` : '';
  if (err.name === 'AbortError' || err.name === 'TimeoutError' || code === 'ABORT_ERR' || code === 'ETIMEDOUT')
    return `timeout: no answer within ${timeoutMs / 1000}s (is this the agent's address? is its event loop blocked?)`;
  if (code === 'ECONNREFUSED')
    return `connection refused: nothing listens at ${where} (is mcpwatch running, and is this its listen address?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host not found: ${base.hostname}${suffix}`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `${where} unreachable${suffix}`;
  const message = err.message.split('\n')[0]!.trim();
  if (/certificate required/i.test(message) || code.endsWith('ALERT_CERTIFICATE_REQUIRED'))
    return `TLS failed: the agent requires a client certificate: ${CERT_VARS}`;
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    const hint =
      base.protocol === 'https:'
        ? `is it mcpwatch? One that requires a client certificate takes it from ${CERT_VARS.replace('set ', '')}`
        : 'is it mcpwatch, and plain HTTP? One with TLS (a web config): give an https URL, or its web config ' +
          '(MCPWATCH_WEB_CONFIG_FILE, or web.configFile in --config)';
    return `the connection to ${where} was closed without an answer${suffix}: ${hint}`;
  }
  if (code.startsWith('HPE_')) return `not mcpwatch: what ${where} answered is not HTTP${suffix}`;
  if (/wrong version number/i.test(message)) return `TLS failed: ${where} does not speak TLS (give an http URL)`;
  if (/alert (unknown ca|bad certificate|certificate unknown|decrypt error)/i.test(message))
    return `TLS failed: the agent refused the client certificate of MCPWATCH_HEALTH_CERT_FILE (${message})${suffix}`;
  if (code.startsWith('ERR_TLS_') || code.includes('CERT') || /ssl|tls/i.test(message))
    return `TLS failed: ${message}${suffix}`;
  return `${message}${suffix}`;
}

function notMcpwatch(path: string, a: { code: number; contentType: string; body: unknown }): string {
  const type = a.contentType ? ` ${a.contentType.split(';')[0]}` : '';
  const what =
    a.body === undefined ? `${a.code}${type}, not JSON` : `${a.code} with JSON that is not mcpwatch's ${path}`;
  return `not mcpwatch: GET ${path} answered ${what}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStatus(v: unknown): v is StatusDocument {
  return isObject(v) && typeof v.version === 'string' && Array.isArray(v.probes) && isObject(v.config);
}

function isHealth(v: unknown): v is HealthReport {
  return isObject(v) && typeof v.status === 'string' && isObject(v.checks);
}

/**
 * Docker HEALTHCHECK without curl: exits 0 when mcpwatch's /health answers 200, else 1.
 * URL from MCPWATCH_HEALTH_URL (default http://127.0.0.1:9464/health).
 *
 * With a web config (MCPWATCH_WEB_CONFIG_FILE, else the `web.configFile` written in $MCPWATCH_CONFIG), it asks as
 * the agent expects: HTTPS when the web config has TLS (an http:// URL is asked over https://; on a loopback address
 * the server's certificate is not verified, anywhere else it is, against the system CAs and NODE_EXTRA_CA_CERTS), a
 * client certificate from MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE, and basic auth as
 * MCPWATCH_HEALTH_USER with the password in MCPWATCH_HEALTH_PASSWORD_FILE (the web config holds only hashes).
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { parseDocument } from 'yaml';
import { parseWebConfig, type WebConfig } from './config/web-config.js';

const TIMEOUT_MS = 4_000;
const env = process.env;

try {
  const { code, line } = await check();
  process.stdout.write(`${line}\n`);
  process.exit(code);
} catch (err) {
  process.stdout.write(`health check failed: ${(err as Error).message}\n`);
  process.exit(1);
}

async function check(): Promise<{ code: number; line: string }> {
  const url = new URL(env.MCPWATCH_HEALTH_URL ?? 'http://127.0.0.1:9464/health');
  const web = webConfig();
  const headers: Record<string, string> = {};
  const opts: RequestOptions & { cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean } = {
    headers,
    timeout: TIMEOUT_MS,
  };
  if (web?.config.tls) {
    if (url.protocol === 'http:') url.protocol = 'https:';
    const needsCert =
      web.config.tls.clientAuth === 'RequireAnyClientCert' ||
      web.config.tls.clientAuth === 'RequireAndVerifyClientCert';
    if (env.MCPWATCH_HEALTH_CERT_FILE && env.MCPWATCH_HEALTH_KEY_FILE) {
      opts.cert = readFileSync(env.MCPWATCH_HEALTH_CERT_FILE);
      opts.key = readFileSync(env.MCPWATCH_HEALTH_KEY_FILE);
    } else if (needsCert)
      return fail(
        `${web.file} requires a client certificate (${web.config.tls.clientAuth}): ` +
          'set MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE',
      );
  }
  if (url.protocol === 'https:') opts.rejectUnauthorized = !isLoopback(url.hostname);
  if (web && Object.keys(web.config.users).length > 0) {
    const user = env.MCPWATCH_HEALTH_USER;
    const passwordFile = env.MCPWATCH_HEALTH_PASSWORD_FILE;
    if (!user || !passwordFile)
      return fail(`${web.file} asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE`);
    const password = readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  const res = await get(url, opts);
  let status = '';
  try {
    status = (JSON.parse(res.body) as { status?: string } | null)?.status ?? '';
  } catch {
    // not JSON: the status code says enough
  }
  return { code: res.status === 200 ? 0 : 1, line: `${res.status} ${status}` };
}

function fail(why: string): { code: number; line: string } {
  return { code: 1, line: `health check failed: ${why}` };
}

/** The web config the agent reads, parsed (its PEM files are not read: only what to send is needed). */
function webConfig(): { file: string; config: WebConfig } | undefined {
  const file = env.MCPWATCH_WEB_CONFIG_FILE || configuredWebFile();
  if (!file) return undefined;
  const parsed = parseWebConfig(readFileSync(file, 'utf8'), file);
  if (!parsed.ok)
    throw new Error(`invalid web config ${file}: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return { file, config: parsed.config };
}

/** `web.configFile` as written in the agent's config file (no `${VAR}` in it: MCPWATCH_WEB_CONFIG_FILE then). */
function configuredWebFile(): string | undefined {
  const path = env.MCPWATCH_CONFIG;
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const value: unknown = parseDocument(text).getIn(['web', 'configFile']);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

function get(url: URL, opts: RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, opts, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 65_536) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
    req.end();
  });
}

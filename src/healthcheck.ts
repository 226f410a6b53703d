/**
 * Docker HEALTHCHECK without curl: exits 0 when mcpwatch's /health answers 200, else 1.
 * URL from MCPWATCH_HEALTH_URL (default http://127.0.0.1:9464/health).
 *
 * With a web config (MCPWATCH_WEB_CONFIG_FILE, else the `web.configFile` written in $MCPWATCH_CONFIG), it asks as
 * the agent expects, by the rules `mcpwatch status` follows too (config/web-client.ts): HTTPS when the web config has
 * TLS (an http:// URL is asked over https://; on a loopback address the server's certificate is not verified,
 * anywhere else it is, against the system CAs and NODE_EXTRA_CA_CERTS), a client certificate from
 * MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE, and basic auth as MCPWATCH_HEALTH_USER with the password in
 * MCPWATCH_HEALTH_PASSWORD_FILE (the web config holds only hashes).
 */
import { agentClient, askedUrl } from './config/web-client.js';

const TIMEOUT_MS = 4_000;
const env = process.env;

try {
  const { code, line } = await check();
  process.stdout.write(`${line}\n`);
  process.exit(code);
} catch (err) {
  const e = err as Error;
  const why = e.name === 'AbortError' || e.name === 'TimeoutError' ? `no answer in ${TIMEOUT_MS / 1000}s` : e.message;
  process.stdout.write(`health check failed: ${why}\n`);
  process.exit(1);
}

async function check(): Promise<{ code: number; line: string }> {
  const client = agentClient(env.MCPWATCH_CONFIG, env);
  if ('error' in client) return { code: 1, line: `health check failed: ${client.error}` };
  const url = askedUrl(new URL(env.MCPWATCH_HEALTH_URL ?? 'http://127.0.0.1:9464/health'), client.tls);
  const res = await client.get(url, { signal: AbortSignal.timeout(TIMEOUT_MS), maxBytes: 1024 * 1024 });
  let status = '';
  try {
    status = (JSON.parse(res.body) as { status?: string } | null)?.status ?? '';
  } catch {
    // not JSON: the status code says enough
  }
  return { code: res.code === 200 ? 0 : 1, line: `${res.code} ${client.refused(res) ?? status}` };
}

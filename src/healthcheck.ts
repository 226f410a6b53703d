/**
 * Docker HEALTHCHECK without curl: exits 0 when mcpwatch's /health answers 200, else 1.
 * URL from MCPWATCH_HEALTH_URL (default http://127.0.0.1:9464/health).
 */
const url = process.env.MCPWATCH_HEALTH_URL ?? 'http://127.0.0.1:9464/health';

try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  const body = (await res.json().catch(() => ({}))) as { status?: string };
  process.stdout.write(`${res.status} ${body.status ?? ''}\n`);
  process.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  process.stdout.write(`health check failed: ${(err as Error).message}\n`);
  process.exit(1);
}

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Target } from '../config/target.js';
import { tlsOptions } from '../probes/net/tls-options.js';
import { versionFromOpenapi, versionFromReadiness, type GatewayVersion } from './build-version.js';
import { joinUrl } from '../util/url.js';

const TIMEOUT_MS = 5_000;
/** FastAPI builds the OpenAPI document on its first request: LiteLLM 1.109 takes a few seconds for it. */
const OPENAPI_TIMEOUT_MS = 20_000;
/** The most of an answer read: readiness is small; of the OpenAPI document only its start (`info`) is needed. */
const MAX_BYTES = 64 * 1024;

/**
 * What the gateway says of its own version: LiteLLM's `/health/readiness` (`litellm_version`, which
 * 1.77 gives to anyone; newer versions only with `allow_public_health_readiness_details`), else the
 * start of its `/openapi.json` (`info.version`). Both are public: no key, no SSO token and none of
 * the target's headers are sent. Undefined when neither says.
 */
export async function readGatewayVersion(target: Target, signal?: AbortSignal): Promise<GatewayVersion | undefined> {
  const readiness = answered(
    await gatewayGet(target, joinUrl(target.url, '/health/readiness'), { timeoutMs: TIMEOUT_MS, signal }),
  );
  if (readiness?.status === 200) {
    let body: unknown;
    try {
      body = JSON.parse(readiness.text);
    } catch {
      body = undefined;
    }
    const v = versionFromReadiness(body);
    if (v) return { version: v, source: 'readiness' };
  }
  if (signal?.aborted) return undefined;
  const openapi = answered(
    await gatewayGet(target, joinUrl(target.url, '/openapi.json'), { timeoutMs: OPENAPI_TIMEOUT_MS, signal }),
  );
  const v = openapi?.status === 200 ? versionFromOpenapi(openapi.text) : undefined;
  return v ? { version: v, source: 'openapi' } : undefined;
}

/** A GET's answer (at most MAX_BYTES of its body), or why there is none (no key in it: the URL and the error). */
export type GatewayAnswer = { status: number; text: string } | { error: string };

function answered(a: GatewayAnswer): { status: number; text: string } | undefined {
  return 'error' in a ? undefined : a;
}

/**
 * One GET to the target on a connection of its own, with the target's TLS settings and `headers` (none by default:
 * the public reads send no key), at most MAX_BYTES of the body. Never throws.
 */
export function gatewayGet(
  target: Target,
  url: string,
  opts: { timeoutMs: number; signal?: AbortSignal; headers?: Readonly<Record<string, string>> },
): Promise<GatewayAnswer> {
  const { timeoutMs, signal } = opts;
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ error: 'aborted' });
    const u = new URL(url);
    const https = u.protocol === 'https:';
    const req = (https ? httpsRequest : httpRequest)(u, {
      method: 'GET',
      agent: false,
      headers: { accept: 'application/json', ...opts.headers },
      timeout: timeoutMs,
      ...(https && tlsOptions(target)),
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs);
    const onAbort = (): void => void req.destroy(new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const done = (v: GatewayAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    };
    req.on('error', (err) => done({ error: err.message }));
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (): void => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        if (size >= MAX_BYTES) {
          finish();
          res.destroy();
        }
      });
      res.on('end', finish);
      res.on('error', (err) => done({ error: err.message }));
    });
    req.end();
  });
}

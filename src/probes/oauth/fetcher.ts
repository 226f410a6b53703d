import { rootCertificates } from 'node:tls';
import type { FetchLike } from '@modelcontextprotocol/client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Target } from '../../config/target.js';
import { classifyError } from '../net/failures.js';
import { ProbeFailure } from '../types.js';
import { statusText } from '../text.js';

/** The fetch of one OAuth exchange (discovery, or a token request), and what became of its last request. */
export interface OAuthFetcher {
  fetch: FetchLike;
  /** The status of the last request's answer; undefined before one arrived. */
  status(): number | undefined;
  /** A network failure of the last request (no answer) as the run's failure; undefined for anything else. */
  failure(err: unknown): ProbeFailure | undefined;
  close(): void;
}

/**
 * The fetch the SDK uses for OAuth requests: the run's signal, the target's TLS trust (the
 * system CAs plus tls.caFile: the identity provider may have a public certificate while the
 * gateway has a private one), each request in the step log without its body or credentials.
 */
export function oauthFetcher(
  target: Pick<Target, 'tls' | 'tlsFiles'>,
  run: { signal: AbortSignal; timeoutMs: number; step(msg: string): void },
  what: 'discovery' | 'token',
): OAuthFetcher {
  const ca = target.tlsFiles?.ca;
  const agent = new Agent({
    connect: {
      rejectUnauthorized: !target.tls.insecureSkipVerify,
      ...(ca !== undefined && { ca: [...rootCertificates, ca] }),
      timeout: run.timeoutMs,
    },
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  let lastUrl: string | undefined;
  let lastStatus: number | undefined;
  const fetch: FetchLike = async (input, init) => {
    const url = String(input);
    lastUrl = url;
    lastStatus = undefined;
    const method = init?.method ?? 'GET';
    if (what === 'discovery') run.step(`oauth2: ${method} ${url}`);
    const signal = init?.signal ? AbortSignal.any([init.signal, run.signal]) : run.signal;
    const res = await undiciFetch(url, { ...(init as object), signal, dispatcher: agent } as Parameters<
      typeof undiciFetch
    >[1]);
    lastStatus = res.status;
    if (what === 'discovery' || !res.ok)
      run.step(`oauth2: ← ${statusText(res.status)}${what === 'token' ? ' from the token endpoint' : ''}`);
    // The SDK tells responses by the global Response class (undici's own is another one).
    return new Response(res.body as ReadableStream<Uint8Array> | null, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers as unknown as Headers,
    });
  };
  return {
    fetch,
    status: () => lastStatus,
    failure: (err) =>
      lastUrl === undefined || lastStatus !== undefined ? undefined : networkFailure(err, lastUrl, run.signal, what),
    close: () => void agent.destroy().catch(() => undefined),
  };
}

/** A request that got no answer, as the run's failure naming the OAuth endpoint; undefined when not the network's. */
function networkFailure(
  err: unknown,
  url: string,
  signal: AbortSignal,
  what: 'discovery' | 'token',
): ProbeFailure | undefined {
  const u = new URL(url);
  const host = `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
  const service = what === 'token' ? 'the identity provider' : 'the server';
  const c = classifyError(err, { signal, phase: undefined, host, service });
  if (c.outcome === 'internal_error') return undefined;
  const whose = what === 'token' ? `the token endpoint ${url}` : `OAuth discovery (${url})`;
  return new ProbeFailure(
    c.outcome,
    c.outcome === 'timeout' ? `${c.reason} waiting for ${whose}` : `${whose}: ${c.reason}`,
  );
}

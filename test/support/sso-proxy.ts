import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Keycloak } from './keycloak.js';
import { freePort, killAndWait, type Proc, scriptPaths, spawnProc, waitForUrl } from './proc.js';

/**
 * The SSO-protected route in front of LiteLLM, in the deployment's shape (Traefik with a
 * forward-auth middleware to oauth2-proxy, Keycloak as the OIDC provider), with Caddy in
 * Traefik's place: Caddy terminates TLS with a leaf from a test CA made here, asks oauth2-proxy
 * (`forward_auth` → /oauth2/auth) whether a request may pass, and then `reverse_proxy`s it to the
 * upstream with all its headers (Authorization, x-litellm-api-key) as they came.
 * oauth2-proxy accepts Keycloak-issued bearer tokens (--skip-jwt-bearer-tokens: signature, issuer,
 * audience, expiry), which is how a machine client (client credentials) gets through; a browser
 * without a session is sent to the sign-in (→ Keycloak), anything else gets 401.
 * Binaries: scripts/ensure-oauth2-proxy.sh (oauth2-proxy from the Go module proxy, Debian's caddy).
 * Never skips: when something cannot start it throws with the last lines it logged.
 */

export interface StartSsoProxyOptions {
  /** Where allowed requests go, e.g. http://127.0.0.1:4000 (LiteLLM). */
  upstream: string;
  keycloak: Keycloak;
  /** Audiences oauth2-proxy accepts besides its client id (--oidc-extra-audience). */
  extraAudiences?: string[];
  /** More oauth2-proxy flags (`--name=value`). */
  extraArgs?: string[];
  /** How long to wait for each process (default 30 s). */
  readyTimeoutMs?: number;
}

export interface SsoProxy {
  /** https://127.0.0.1:PORT (the TLS front; localhost works too). */
  url: string;
  port: number;
  /** The test CA (PEM) that signed the front's certificate; trust it to connect. */
  caPem: string;
  caFile: string;
  /** An undici Agent that trusts caPem (for `fetch(url, { dispatcher })` from 'undici'). */
  dispatcher: Agent;
  /** oauth2-proxy's own http address (plain http, loopback only). */
  authUrl: string;
  dir: string;
  readonly caddy: Proc;
  readonly oauth2Proxy: Proc;
  /** Milliseconds both took to answer. */
  startupMs: number;
  logs(chars?: number): string;
  /** Stops both and removes the temp folder. Idempotent. */
  stop(): Promise<void>;
}

/** oauth2-proxy's and Caddy's paths, installing them first when needed (scripts/ensure-oauth2-proxy.sh). */
export function ensureSsoProxyBins(): { oauth2Proxy: string; caddy: string } {
  const paths = scriptPaths('ensure-oauth2-proxy.sh', ['OAUTH2_PROXY', 'CADDY'], 900_000);
  return { oauth2Proxy: paths.OAUTH2_PROXY, caddy: paths.CADDY };
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (e) {
    const err = e as Error & { stderr?: Buffer };
    throw new Error(`openssl ${args[0]} failed: ${err.message}\n${err.stderr?.toString() ?? ''}`, { cause: e });
  }
}

/** A throwaway CA and a server leaf for 127.0.0.1 and localhost signed by it (EC P-256, 2 days). */
export function makeTestCa(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=mcpwatch test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(
    join(dir, 'leaf.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '2',
      '-out',
      'leaf.pem',
      '-extfile',
      'leaf.ext',
    ],
    dir,
  );
  rmSync(join(dir, 'ca.key'));
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'leaf.pem'), keyFile: join(dir, 'leaf.key') };
}

/**
 * Caddy's config: TLS from the given files only (no ACME, no local CA, no trust-store install, no
 * admin endpoint), /oauth2/* to oauth2-proxy (sign-in, callback), every other request through
 * forward_auth first. A 401 from oauth2-proxy is passed on as is to API clients and turned into
 * a redirect to the sign-in for browsers (Accept: text/html), as the deployment's route does.
 */
export function caddyfile(o: {
  port: number;
  certFile: string;
  keyFile: string;
  auth: string;
  upstream: string;
  dataDir: string;
}): string {
  // route keeps this order: what the client claims to be is dropped before oauth2-proxy's answer is copied in.
  const forwardAuth = (onDenied: string): string => `route {
			request_header -X-Auth-Request-User
			request_header -X-Auth-Request-Email
			forward_auth ${o.auth} {
				uri /oauth2/auth
				header_up X-Real-IP {remote_host}
				# What oauth2-proxy says about the caller reaches the upstream (Traefik: authResponseHeaders).
				copy_headers X-Auth-Request-User X-Auth-Request-Email
${onDenied}			}
			reverse_proxy ${o.upstream}
		}`;
  return `{
	admin off
	auto_https off
	skip_install_trust
	storage file_system ${o.dataDir}
	default_sni 127.0.0.1
	# No HTTP/3 (it would listen on UDP of every interface).
	servers {
		protocols h1 h2
	}
}

https://127.0.0.1:${o.port}, https://localhost:${o.port} {
	# The site address only matches hosts; bind keeps the listener on loopback.
	bind 127.0.0.1
	tls ${o.certFile} ${o.keyFile}
	handle /oauth2/* {
		reverse_proxy ${o.auth} {
			header_up X-Real-IP {remote_host}
		}
	}
	@browser header Accept *text/html*
	handle @browser {
		${forwardAuth(`				@denied status 401
				handle_response @denied {
					redir * /oauth2/sign_in?rd={scheme}://{host}{uri} 302
				}
`)}
	}
	handle {
		${forwardAuth('')}
	}
}
`;
}

/**
 * Starts oauth2-proxy (forward-auth service for `keycloak`'s realm) and Caddy (TLS front on a free
 * port of 127.0.0.1) and resolves once both answer. Call `stop()` when done.
 */
export async function startSsoProxy(opts: StartSsoProxyOptions): Promise<SsoProxy> {
  const bins = ensureSsoProxyBins();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts, bins);
    } catch (e) {
      // Another process took a port between freePort() and the bind: new ports.
      if (attempt < 3 && /address already in use/i.test((e as Error).message)) continue;
      throw e;
    }
  }
}

async function startOnce(opts: StartSsoProxyOptions, bins: { oauth2Proxy: string; caddy: string }): Promise<SsoProxy> {
  const kc = opts.keycloak;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-sso-'));
  const procs: Proc[] = [];
  const logs = (chars = 4_000): string => procs.map((p) => p.tail(chars)).join('\n');
  let dispatcher: Agent | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(procs.map((p) => killAndWait(p, { graceMs: 5_000 })));
    await dispatcher?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  const started = Date.now();

  try {
    const { caFile, certFile, keyFile } = makeTestCa(dir);
    const caPem = readFileSync(caFile, 'utf8');
    const agent = new Agent({ connect: { ca: caPem } });
    dispatcher = agent;

    // 1. oauth2-proxy: secrets through the environment, not argv (ps shows argv).
    const authPort = await freePort();
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const authUrl = `http://127.0.0.1:${authPort}`;
    const args = [
      `--http-address=127.0.0.1:${authPort}`,
      '--provider=keycloak-oidc',
      `--oidc-issuer-url=${kc.issuer}`,
      `--client-id=${kc.clients.proxy.clientId}`,
      `--redirect-url=${url}/oauth2/callback`,
      '--code-challenge-method=S256',
      // Forward-auth only: oauth2-proxy answers /oauth2/auth and never proxies anything itself.
      '--upstream=static://202',
      '--reverse-proxy',
      '--trusted-proxy-ip=127.0.0.1/32',
      '--email-domain=*',
      // A machine client sends Keycloak's access token as bearer; no cookie session.
      '--skip-jwt-bearer-tokens',
      '--set-xauthrequest',
      '--skip-provider-button',
      '--cookie-secure=true',
      '--silence-ping-logging',
      ...(opts.extraAudiences ?? []).map((a) => `--oidc-extra-audience=${a}`),
      ...(opts.extraArgs ?? []),
    ];
    const o2p = spawnProc(bins.oauth2Proxy, args, {
      cwd: dir,
      env: {
        PATH: '/usr/bin:/bin',
        HOME: dir,
        OAUTH2_PROXY_CLIENT_SECRET: kc.clients.proxy.clientSecret,
        // 32 hex chars = a 32-byte AES key.
        OAUTH2_PROXY_COOKIE_SECRET: randomBytes(16).toString('hex'),
      },
      name: `oauth2-proxy :${authPort}`,
      keepBytes: 1024 * 1024,
    });
    procs.push(o2p);
    await waitForUrl(`${authUrl}/ping`, { timeoutMs: readyTimeoutMs, proc: o2p, what: 'oauth2-proxy' });

    // 2. Caddy in front.
    const dataDir = join(dir, 'caddy-data');
    mkdirSync(dataDir);
    const config = join(dir, 'Caddyfile');
    writeFileSync(
      config,
      caddyfile({ port, certFile, keyFile, auth: `127.0.0.1:${authPort}`, upstream: opts.upstream, dataDir }),
    );
    const caddy = spawnProc(bins.caddy, ['run', '--config', config, '--adapter', 'caddyfile'], {
      cwd: dir,
      // Caddy keeps state under XDG dirs / HOME: keep it in the temp folder.
      env: {
        PATH: '/usr/bin:/bin',
        HOME: dir,
        XDG_DATA_HOME: join(dir, 'xdg-data'),
        XDG_CONFIG_HOME: join(dir, 'xdg-config'),
      },
      name: `caddy :${port}`,
      keepBytes: 1024 * 1024,
    });
    procs.push(caddy);
    // Up = a TLS handshake with the test CA and an HTTP answer (401 from forward_auth).
    let last = 'no attempt finished';
    for (;;) {
      if (!caddy.running) {
        const code = await caddy.exited;
        throw new Error(`caddy exited (code ${code ?? caddy.child.signalCode}) before ${url} answered`);
      }
      try {
        const res = await undiciFetch(`${url}/`, { dispatcher: agent, signal: AbortSignal.timeout(3_000) });
        await res.arrayBuffer();
        if (res.status === 401) break;
        last = `HTTP ${res.status}`;
      } catch (e) {
        const err = e as Error & { cause?: { code?: string; message?: string } };
        last = err.cause?.code ?? err.cause?.message ?? err.message;
      }
      if (Date.now() - started > readyTimeoutMs)
        throw new Error(
          `caddy did not answer ${url} with 401 within ${Math.round(readyTimeoutMs / 1000)} s (last: ${last})`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }

    return {
      url,
      port,
      caPem,
      caFile,
      dispatcher: agent,
      authUrl,
      dir,
      caddy,
      oauth2Proxy: o2p,
      startupMs: Date.now() - started,
      logs,
      stop,
    };
  } catch (e) {
    const msg = `${(e as Error).message}\n${logs(6_000)}`;
    await stop();
    throw new Error(`startSsoProxy failed: ${msg}`, { cause: e });
  }
}

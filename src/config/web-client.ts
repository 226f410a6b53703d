// The other side of the web config: how a client on the agent's side (`mcpwatch status`, the image's healthcheck)
// asks an agent that runs behind one. One set of rules for both:
//   - the web config is MCPWATCH_WEB_CONFIG_FILE's, else the `web.configFile` of the agent's config (`${VAR}` expanded;
//     only that key is read, as the agent's own files and keys need not be here);
//   - TLS in it: an http:// URL is asked over https://; an https URL's server certificate is verified except on a
//     loopback address (the agent's certificate names the host clients reach, not 127.0.0.1);
//   - a client certificate from MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE (offered when the server asks);
//   - basic auth as MCPWATCH_HEALTH_USER with the password in MCPWATCH_HEALTH_PASSWORD_FILE (the web config holds
//     only hashes) when the web config lists users; with no web config found, whatever of these the environment gives
//     (the password then only over https or to a loopback address).
// A piece the web config requires and the environment lacks is an error before anything is sent. The password is
// never in a message, a result or anything enumerable: only the request's header carries it.
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseDocument } from 'yaml';
import { expandVars } from './interpolate.js';
import { parseWebConfig, PLAIN_HTTP_TO_TLS, type WebConfig } from './web-config.js';
import { describeFsError } from '../util/errors.js';
import { isLoopbackHost } from '../util/origins.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A web config found, and what named it (`MCPWATCH_WEB_CONFIG_FILE`, `web.configFile in FILE`). */
export interface FoundWebConfig {
  file: string;
  namedBy: string;
  config: WebConfig;
}

/** What a client sends, decided from the web config and the environment (pure: files are named, not read). */
export interface AskPlan {
  /** The web config followed, when one was found. */
  webFile?: string;
  /** The web config has TLS: http:// is asked over https://. */
  tls: boolean;
  cert?: { certFile: string; keyFile: string };
  basicAuth?: { user: string; passwordFile: string };
}

/**
 * What to send: the web config's requirements set against what the environment gives (MCPWATCH_HEALTH_*). An error
 * names the web config and the variables to set.
 */
export function askPlan(
  web: Pick<FoundWebConfig, 'file' | 'config'> | undefined,
  env: Env,
): AskPlan | { error: string } {
  const plan: AskPlan = { tls: web?.config.tls !== undefined, ...(web && { webFile: web.file }) };
  const certFile = env.MCPWATCH_HEALTH_CERT_FILE;
  const keyFile = env.MCPWATCH_HEALTH_KEY_FILE;
  const clientAuth = web?.config.tls?.clientAuth;
  if (certFile && keyFile) {
    // A certificate is offered only when the server asks for one: harmless where none is needed.
    if (!web || web.config.tls) plan.cert = { certFile, keyFile };
  } else if (clientAuth === 'RequireAnyClientCert' || clientAuth === 'RequireAndVerifyClientCert')
    return {
      error:
        `${web!.file} requires a client certificate (${clientAuth}): ` +
        'set MCPWATCH_HEALTH_CERT_FILE and MCPWATCH_HEALTH_KEY_FILE',
    };
  const user = env.MCPWATCH_HEALTH_USER;
  const passwordFile = env.MCPWATCH_HEALTH_PASSWORD_FILE;
  const usersAsked = web !== undefined && Object.keys(web.config.users).length > 0;
  if (user && passwordFile) {
    if (!web || usersAsked) plan.basicAuth = { user, passwordFile };
  } else if (usersAsked)
    return { error: `${web.file} asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE` };
  return plan;
}

/**
 * The web config the agent reads: MCPWATCH_WEB_CONFIG_FILE, else the `web.configFile` written in `configPath` (a
 * config that cannot be read, or has none, names none). Parsed only: the PEM files it names are not read.
 */
export function findWebConfig(
  configPath: string | undefined,
  env: Env,
): FoundWebConfig | undefined | { error: string } {
  let named: { file: string; namedBy: string } | undefined;
  if (env.MCPWATCH_WEB_CONFIG_FILE) named = { file: env.MCPWATCH_WEB_CONFIG_FILE, namedBy: 'MCPWATCH_WEB_CONFIG_FILE' };
  else if (configPath) {
    const configured = configuredWebFile(configPath, env);
    if (configured && typeof configured !== 'string') return configured;
    if (configured) named = { file: configured, namedBy: `web.configFile in ${configPath}` };
  }
  if (!named) return undefined;
  let text: string;
  try {
    text = readFileSync(named.file, 'utf8');
  } catch (err) {
    return { error: `cannot read web config ${named.file} (${named.namedBy}): ${describeFsError(err)}` };
  }
  const parsed = parseWebConfig(text, named.file);
  if (!parsed.ok)
    return {
      error: `invalid web config ${named.file}: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    };
  return { ...named, config: parsed.config };
}

/** `web.configFile` as written in the config, `${VAR}` expanded; undefined when the file or the key is not there. */
function configuredWebFile(configPath: string, env: Env): string | undefined | { error: string } {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = parseDocument(text).getIn(['web', 'configFile']);
  } catch {
    return undefined;
  }
  if (typeof value !== 'string' || value === '') return undefined;
  const expanded = expandVars(value, env);
  if (typeof expanded !== 'string') return { error: `web.configFile in ${configPath}: ${expanded.error}` };
  return expanded || undefined;
}

/** An answer: its status code, content type, and body (at most maxBytes). */
export interface AgentAnswer {
  code: number;
  contentType: string;
  body: string;
}

/** How to ask one agent: its URL as asked, and one GET at a time. */
export interface AgentClient {
  /** The web config followed, when one was found. */
  readonly webFile: string | undefined;
  /** The web config has TLS: URLs are asked over https:// (askedUrl). */
  readonly tls: boolean;
  /** One GET on a connection of its own; rejects on a network error or when `signal` aborts. */
  get(url: URL, opts: { signal: AbortSignal; maxBytes: number; accept?: string }): Promise<AgentAnswer>;
  /** Why the agent refused (401): the credentials it asks for, or that those sent were refused. */
  refused(answer: AgentAnswer): string | undefined;
}

/**
 * The client for `configPath`'s agent under `env`: the web config found, the plan made and its files read (the
 * certificate, its key, the password). Any piece missing or unreadable is an error naming it, with whether the web
 * config (when it could be read) has TLS, for the URL it is reported at.
 */
export function agentClient(configPath: string | undefined, env: Env): AgentClient | { error: string; tls: boolean } {
  const web = findWebConfig(configPath, env);
  if (web && 'error' in web) return { ...web, tls: false };
  const plan = askPlan(web, env);
  const tls = web?.config.tls !== undefined;
  if ('error' in plan) return { ...plan, tls };
  const client = clientFor(plan);
  return 'error' in client ? { ...client, tls } : client;
}

/** `url` as it is asked: an http:// URL over https:// when the web config has TLS. */
export function askedUrl(url: URL, tls: boolean): URL {
  const u = new URL(url);
  if (tls && u.protocol === 'http:') u.protocol = 'https:';
  return u;
}

/** A client that sends what `plan` says, its files read now. */
export function clientFor(plan: AskPlan): AgentClient | { error: string } {
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  let authorization: string | undefined;
  try {
    if (plan.cert) {
      cert = readNamed(plan.cert.certFile, 'MCPWATCH_HEALTH_CERT_FILE');
      key = readNamed(plan.cert.keyFile, 'MCPWATCH_HEALTH_KEY_FILE');
    }
    if (plan.basicAuth) {
      const password = readNamed(plan.basicAuth.passwordFile, 'MCPWATCH_HEALTH_PASSWORD_FILE')
        .toString('utf8')
        .replace(/\r?\n$/, '');
      authorization = `Basic ${Buffer.from(`${plan.basicAuth.user}:${password}`).toString('base64')}`;
    }
  } catch (err) {
    return { error: (err as Error).message };
  }
  const user = plan.basicAuth?.user;
  return {
    webFile: plan.webFile,
    tls: plan.tls,
    get(url, opts) {
      // With no web config to say the agent takes basic auth over plain HTTP, the password goes only where no one
      // between can read it: over https, or to this machine.
      if (authorization && plan.webFile === undefined && url.protocol === 'http:' && !isLoopbackHost(url.hostname))
        return Promise.reject(
          new Error(
            `not sending MCPWATCH_HEALTH_USER's password over plain http to ${url.host}: give an https URL, or the ` +
              "agent's web config (MCPWATCH_WEB_CONFIG_FILE, or web.configFile in --config) if it takes basic auth " +
              'over http',
          ),
        );
      const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
      if (authorization) headers.authorization = authorization;
      const request: RequestOptions & { cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean } = {
        headers,
        agent: false,
        signal: opts.signal,
      };
      if (url.protocol === 'https:') {
        request.rejectUnauthorized = !isLoopbackHost(url.hostname);
        if (cert && key) Object.assign(request, { cert, key });
      }
      return get(url, request, opts.maxBytes);
    },
    refused(answer) {
      if (answer.code === 400 && answer.body.startsWith(PLAIN_HTTP_TO_TLS))
        return (
          `the agent speaks HTTPS (it answered 400 "${PLAIN_HTTP_TO_TLS}"): give an https URL, or its web config ` +
          '(MCPWATCH_WEB_CONFIG_FILE, or web.configFile in --config)'
        );
      if (answer.code !== 401) return undefined;
      if (user)
        return (
          `the agent refused the basic auth of MCPWATCH_HEALTH_USER (${user}): ` +
          'check it and MCPWATCH_HEALTH_PASSWORD_FILE'
        );
      return 'the agent asks for basic auth: set MCPWATCH_HEALTH_USER and MCPWATCH_HEALTH_PASSWORD_FILE';
    },
  };
}

/** A file a variable names, read; the error names the variable and the file, never what is in it. */
function readNamed(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read ${variable} ${file}: ${describeFsError(err)}`, { cause: err });
  }
}

function get(url: URL, opts: RequestOptions, maxBytes: number): Promise<AgentAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, opts, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= maxBytes) chunks.push(c);
        else if (!req.destroyed) {
          const err = new Error(`an answer of more than ${maxBytes} bytes`);
          reject(err);
          req.destroy(err);
        }
      });
      res.on('end', () =>
        resolve({
          code: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

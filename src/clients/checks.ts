import type { Target } from '../config/target.js';
import { CLIENT_FIXES, doubledBearer } from './fixes.js';
import type { ClientEntry, ClientFile, ClientKind, EntryHeader, Finding, FindingCode, ValueSource } from './types.js';

const SEVERITY: Record<FindingCode, Finding['severity']> = {
  missing_bearer_prefix: 'error',
  double_bearer_prefix: 'error',
  missing_servers_header: 'error',
  unknown_server: 'error',
  // The entry is right: the server it names is down at the gateway now (the catalog's probes report that).
  server_down: 'warning',
  ignored_key: 'error',
  trailing_slash: 'warning',
  sso_host: 'error',
  plaintext_key: 'warning',
  unresolved_variable: 'warning',
  not_a_gateway: 'warning',
  openwebui_base_url: 'error',
  openwebui_connection_type: 'error',
  no_key: 'error',
  // A `${VAR}` the file's quoting keeps from being replaced: the client sends the placeholder and is refused.
  literal_placeholder: 'error',
};

/** How much a finding of this code matters: only `error` fails the client_config probe and MCPClientConfigBroken. */
export function severityOf(code: FindingCode): Finding['severity'] {
  return SEVERITY[code];
}

type Env = Readonly<Record<string, string | undefined>>;
type Targets = Readonly<Record<string, Target>>;

/** A header's value as the client would send it, and what kept it from being known. */
export interface Resolved {
  /** Undefined when a part of it is not known here (a variable unset, a VS Code input). */
  value?: string;
  /** The value with unknown parts left as they are written (for prefix checks around them). */
  shape: string;
  unset: string[];
  inputs: string[];
  /** The file holds a key itself (not a variable). */
  literalKey: boolean;
}

const SK_KEY = /\bsk-[A-Za-z0-9_-]{6,}/;

/**
 * A value as the client resolves it: Codex reads whole values from variables; VS Code replaces
 * `${env:NAME}` and asks the user for `${input:ID}` (unknowable here); mcpServers JSON replaces
 * `${NAME}` (and `${env:NAME}`). Pure: the environment is passed in; the value is never printed.
 */
export function resolveValue(v: ValueSource, client: ClientKind, env: Env): Resolved {
  if (v.kind === 'literal')
    return { value: v.text, shape: v.text, unset: [], inputs: [], literalKey: SK_KEY.test(v.text) };
  if (v.kind === 'env') {
    const val = env[v.variable];
    return val === undefined
      ? { shape: `${v.prefix ?? ''}\${${v.variable}}`, unset: [v.variable], inputs: [], literalKey: false }
      : {
          value: `${v.prefix ?? ''}${val}`,
          shape: `${v.prefix ?? ''}${val}`,
          unset: [],
          inputs: [],
          literalKey: false,
        };
  }
  const unset: string[] = [];
  const inputs: string[] = [];
  let known = true;
  const pattern = client === 'vscode' ? /\$\{(env|input):([^}]+)\}/g : /\$\{(?:(env):)?([A-Za-z_][A-Za-z0-9_]*)\}/g;
  const outside = v.text.replace(pattern, '');
  const value = v.text.replace(pattern, (all, kind: string | undefined, name: string) => {
    if (kind === 'input') {
      inputs.push(name);
      known = false;
      return all;
    }
    const val = env[name];
    if (val === undefined) {
      unset.push(name);
      known = false;
      return all;
    }
    return val;
  });
  return { ...(known && { value }), shape: value, unset, inputs, literalKey: SK_KEY.test(outside) };
}

/** The target an entry's URL belongs to: the same origin, under the target's path prefix. */
export function targetOf(url: string, targets: Targets): Target | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  return Object.values(targets).find((t) => {
    const b = new URL(t.url);
    return b.origin === u.origin && u.pathname.startsWith(b.pathname.replace(/\/+$/, ''));
  });
}

/** Every finding of a client file, in line order. Pure. */
export function checkClientFile(f: ClientFile, targets: Targets, env: Env): Finding[] {
  const out: Finding[] = [];
  for (const e of f.entries) out.push(...checkEntry(e, targets, env));
  for (const b of f.baseUrls) {
    const t = targetOf(b.url, targets);
    if (!t) continue;
    const path = new URL(b.url).pathname.replace(/\/+$/, '');
    if (!path.endsWith('/v1')) {
      out.push(
        finding(
          { file: b.file, line: b.line, client: 'openwebui', server: b.variable },
          'openwebui_base_url',
          `${b.variable} ${b.url} (target ${t.name}) does not end in /v1: ` +
            'Open WebUI appends /chat/completions and /models to it, which LiteLLM serves under /v1',
          `${b.variable}=${b.url.replace(/\/+$/, '')}/v1`,
        ),
      );
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

type Where = Pick<Finding, 'file' | 'line' | 'client' | 'server'>;

function finding(where: Where, code: FindingCode, message: string, fix: string): Finding {
  return { ...where, code, severity: SEVERITY[code], message, fix };
}

/** An entry whose URL is one of a gateway's, with what its checks share. */
interface GatewayEntry {
  e: ClientEntry;
  url: NonNullable<ClientEntry['url']>;
  target: Target;
  /** The URL's path under the target's own (`/` at least). */
  path: string;
  env: Env;
  at: (line: number) => Where;
}

/** An entry's findings: the keys its client ignores, then (for a gateway's URL) its URL, its headers, its key. */
function checkEntry(e: ClientEntry, targets: Targets, env: Env): Finding[] {
  const at = (line: number): Where => ({ file: e.file, line, client: e.client, server: e.server });
  const ignored = e.ignored.map((i) => finding(at(i.line), i.code ?? 'ignored_key', i.why, i.fix));
  if (!e.url) return ignored; // a stdio server: nothing of a gateway's
  const target = targetOf(e.url.text, targets);
  if (!target) return [...ignored, notAGateway(e.url, targets, at)];
  const base = new URL(target.url).pathname.replace(/\/+$/, '');
  const path = new URL(e.url.text).pathname.slice(base.length) || '/';
  const g: GatewayEntry = { e, url: e.url, target, path, env, at };
  return [...ignored, ...urlFindings(g, targets), ...headerFindings(g), ...keyFindings(g), ...authFindings(g)];
}

function notAGateway(url: GatewayEntry['url'], targets: Targets, at: GatewayEntry['at']): Finding {
  const known = Object.values(targets).map((t) => t.url);
  return finding(
    at(url.line),
    'not_a_gateway',
    `${url.text} is none of the gateways mcpwatch knows${known.length ? ` (${known.join(', ')})` : ''}: not checked`,
    "check the URL, or add that gateway to mcpwatch's targets",
  );
}

/**
 * The URL itself: behind the SSO gate, without the MCP path's trailing slash, or an MCP endpoint that Open WebUI
 * reads as OpenAPI.
 */
function urlFindings({ e, url, target, path, at }: GatewayEntry, targets: Targets): Finding[] {
  const out: Finding[] = [];
  if (target.oauth2) {
    const lan = Object.values(targets).find((t) => !t.oauth2 && t !== target);
    out.push(
      finding(
        at(url.line),
        'sso_host',
        `${url.text} is target ${target.name}, behind the SSO gate: this client sends static headers and gets no ` +
          'SSO token, so the gate refuses its requests before they reach LiteLLM',
        lan ? `use the route without SSO: ${mcpUrl(lan)}` : "use the gateway's route without SSO (LAN)",
      ),
    );
  }
  const mcpPath = target.mcpPath;
  if (mcpPath.endsWith('/') && path === mcpPath.slice(0, -1)) {
    out.push(
      finding(
        at(url.line),
        'trailing_slash',
        `${url.text} has no trailing slash after ${path}: ` +
          'LiteLLM 1.77 answers it with a 307 redirect, which some clients do not follow with their headers',
        `write ${url.text}/`,
      ),
    );
  }
  if (
    e.client === 'openwebui' &&
    e.connectionType &&
    e.connectionType.text !== 'mcp' &&
    path.startsWith(mcpPath.replace(/\/$/, ''))
  ) {
    out.push(
      finding(
        at(e.connectionType.line),
        'openwebui_connection_type',
        `the tool server ${url.text} is the gateway's MCP endpoint, but its type is "${e.connectionType.text}": ` +
          'Open WebUI reads it as an OpenAPI server and loads no tools',
        'set "type": "mcp" (MCP Streamable HTTP)',
      ),
    );
  }
  return out;
}

function headerOf(e: ClientEntry, name: string): EntryHeader | undefined {
  return e.headers.find((h) => h.name.toLowerCase() === name);
}

/** The headers: which servers are asked for, and each value's variables and written keys. */
function headerFindings({ e, target, path, env, at }: GatewayEntry): Finding[] {
  const out: Finding[] = [];
  const mcpPath = target.mcpPath;
  // x-mcp-servers, or a server named in the path after the MCP path (/mcp/<server>).
  const serversInPath = path.startsWith(mcpPath) && path.slice(mcpPath.length).replace(/\/+$/, '') !== '';
  if (!headerOf(e, 'x-mcp-servers') && !serversInPath) {
    out.push(
      finding(
        at(e.line),
        'missing_servers_header',
        'no x-mcp-servers header: LiteLLM then picks the servers itself (all the key may use, or none), ' +
          'not the ones this client was set up for',
        CLIENT_FIXES[e.client].servers,
      ),
    );
  }
  for (const h of e.headers) {
    const r = resolveValue(h.value, e.client, env);
    const unknown =
      h.name.toLowerCase() === 'authorization'
        ? 'its Bearer prefix cannot be checked here'
        : 'the header would be sent empty or not at all';
    for (const v of r.unset)
      out.push(
        finding(
          at(h.line),
          'unresolved_variable',
          `${v} (for ${h.name}) is not set in this environment: ${unknown}`,
          `set ${v} where this client runs (and here, to check it)`,
        ),
      );
    if (r.literalKey)
      out.push(
        finding(
          at(h.line),
          'plaintext_key',
          `${h.name} holds a key written in the file: anyone who can read it has the key`,
          CLIENT_FIXES[e.client].plaintext,
        ),
      );
  }
  return out;
}

/** No key sent at all: no Authorization nor x-litellm-api-key, or an Open WebUI auth_type that sends none. */
function keyFindings({ e, at }: GatewayEntry): Finding[] {
  const auth = headerOf(e, 'authorization');
  if (e.client === 'openwebui' && e.openWebUiAuth && e.openWebUiAuth.type !== 'bearer' && !auth) {
    const forwards =
      e.openWebUiAuth.type === 'session'
        ? " (it forwards the user's Open WebUI token, which LiteLLM does not know)"
        : '';
    return [
      finding(
        at(e.openWebUiAuth.line),
        'no_key',
        `auth_type "${e.openWebUiAuth.type}" sends no LiteLLM key${forwards}: LiteLLM refuses every request`,
        'set "auth_type": "bearer" and "key": "<the LiteLLM key for Open WebUI>" (Open WebUI adds "Bearer ")',
      ),
    ];
  }
  if (auth || headerOf(e, 'x-litellm-api-key')) return [];
  return [
    finding(
      at(e.line),
      'no_key',
      'no Authorization header: LiteLLM refuses every MCP request without a key',
      CLIENT_FIXES[e.client].key,
    ),
  ];
}

/** The Authorization value as sent: `Bearer ` twice, not known (a VS Code input alone), or missing. */
function authFindings({ e, env, at }: GatewayEntry): Finding[] {
  const auth = headerOf(e, 'authorization');
  if (!auth) return [];
  const r = resolveValue(auth.value, e.client, env);
  const shape = r.shape.trimStart();
  const bearer = /^bearer\s/i.test(shape);
  if (/^bearer\s+bearer\s/i.test(shape)) {
    const doubled = doubledBearer(e, auth);
    return [
      finding(
        at(auth.line),
        'double_bearer_prefix',
        `Authorization is sent as "Bearer Bearer …"${doubled.why}: LiteLLM refuses it`,
        doubled.fix,
      ),
    ];
  }
  if (r.inputs.length > 0 && !bearer) {
    const input = `\${input:${r.inputs[0]}}`;
    return [
      finding(
        at(auth.line),
        'unresolved_variable',
        `Authorization is the VS Code input ${input} alone: what the user types is sent as it is, ` +
          'and mcpwatch cannot know whether it starts with "Bearer "',
        `"Authorization": "Bearer ${input}" (the user then types only the key)`,
      ),
    ];
  }
  if ((r.value !== undefined || r.shape !== '') && r.unset.length === 0 && !bearer) {
    const bare = auth.value.kind === 'env' ? ` (${auth.value.variable} holds the bare key)` : '';
    return [
      finding(
        at(auth.line),
        'missing_bearer_prefix',
        `the Authorization value lacks "Bearer "${bare}: LiteLLM refuses the key`,
        CLIENT_FIXES[e.client].bearer(auth),
      ),
    ];
  }
  return [];
}

function mcpUrl(t: Target): string {
  return `${t.url.replace(/\/+$/, '')}${t.mcpPath}`;
}

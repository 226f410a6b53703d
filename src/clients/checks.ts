import type { Target } from '../config/parse.js';
import type { ClientEntry, ClientFile, ClientKind, EntryHeader, Finding, FindingCode, ValueSource } from './types.js';

const SEVERITY: Record<FindingCode, Finding['severity']> = {
  missing_bearer_prefix: 'error',
  double_bearer_prefix: 'error',
  missing_servers_header: 'error',
  unknown_server: 'error',
  ignored_key: 'error',
  trailing_slash: 'warning',
  sso_host: 'error',
  plaintext_key: 'warning',
  unresolved_variable: 'warning',
  not_a_gateway: 'warning',
  openwebui_base_url: 'error',
  openwebui_connection_type: 'error',
  no_key: 'error',
};

type Env = Readonly<Record<string, string | undefined>>;

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
export function targetOf(url: string, targets: Readonly<Record<string, Target>>): Target | undefined {
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
export function checkClientFile(f: ClientFile, targets: Readonly<Record<string, Target>>, env: Env): Finding[] {
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
          `${b.variable} ${b.url} (target ${t.name}) does not end in /v1: Open WebUI appends /chat/completions and /models to it, which LiteLLM serves under /v1`,
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

function checkEntry(e: ClientEntry, targets: Readonly<Record<string, Target>>, env: Env): Finding[] {
  const out: Finding[] = [];
  const at = (line: number): Where => ({ file: e.file, line, client: e.client, server: e.server });
  for (const i of e.ignored) out.push(finding(at(i.line), 'ignored_key', i.why, i.fix));
  if (!e.url) return out; // a stdio server: nothing of a gateway's
  const target = targetOf(e.url.text, targets);
  if (!target) {
    const known = Object.values(targets).map((t) => t.url);
    out.push(
      finding(
        at(e.url.line),
        'not_a_gateway',
        `${e.url.text} is none of the gateways mcpwatch knows${known.length ? ` (${known.join(', ')})` : ''}: not checked`,
        "check the URL, or add that gateway to mcpwatch's targets",
      ),
    );
    return out;
  }
  if (target.oauth2) {
    const lan = Object.values(targets).find((t) => !t.oauth2 && t !== target);
    out.push(
      finding(
        at(e.url.line),
        'sso_host',
        `${e.url.text} is target ${target.name}, behind the SSO gate: this client sends static headers and gets no SSO token, so the gate refuses its requests before they reach LiteLLM`,
        lan ? `use the route without SSO: ${mcpUrl(lan)}` : "use the gateway's route without SSO (LAN)",
      ),
    );
  }
  const u = new URL(e.url.text);
  const mcpPath = target.mcpPath;
  const base = new URL(target.url).pathname.replace(/\/+$/, '');
  const path = u.pathname.slice(base.length) || '/';
  if (mcpPath.endsWith('/') && path === mcpPath.slice(0, -1)) {
    out.push(
      finding(
        at(e.url.line),
        'trailing_slash',
        `${e.url.text} has no trailing slash after ${path}: LiteLLM 1.77 answers it with a 307 redirect, which some clients do not follow with their headers`,
        `write ${e.url.text}/`,
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
        `the tool server ${e.url.text} is the gateway's MCP endpoint, but its type is "${e.connectionType.text}": Open WebUI reads it as an OpenAPI server and loads no tools`,
        'set "type": "mcp" (MCP Streamable HTTP)',
      ),
    );
  }

  const header = (name: string): EntryHeader | undefined => e.headers.find((h) => h.name.toLowerCase() === name);
  // x-mcp-servers, or a server named in the path after the MCP path (/mcp/<server>).
  const serversInPath = path.startsWith(mcpPath) && path.slice(mcpPath.length).replace(/\/+$/, '') !== '';
  const servers = header('x-mcp-servers');
  if (!servers && !serversInPath) {
    out.push(
      finding(
        at(e.line),
        'missing_servers_header',
        `no x-mcp-servers header: LiteLLM then picks the servers itself (all the key may use, or none), not the ones this client was set up for`,
        serversFix(e.client),
      ),
    );
  }
  for (const h of e.headers) {
    const r = resolveValue(h.value, e.client, env);
    for (const v of r.unset)
      out.push(
        finding(
          at(h.line),
          'unresolved_variable',
          `${v} (for ${h.name}) is not set in this environment: ${h.name.toLowerCase() === 'authorization' ? 'its Bearer prefix cannot be checked here' : 'the header would be sent empty or not at all'}`,
          `set ${v} where this client runs (and here, to check it)`,
        ),
      );
    if (r.literalKey)
      out.push(
        finding(
          at(h.line),
          'plaintext_key',
          `${h.name} holds a key written in the file: anyone who can read it has the key`,
          plaintextFix(e.client),
        ),
      );
  }
  const auth = header('authorization');
  const keyHeader = header('x-litellm-api-key');
  if (e.client === 'openwebui' && e.openWebUiAuth && e.openWebUiAuth.type !== 'bearer' && !auth) {
    out.push(
      finding(
        at(e.openWebUiAuth.line),
        'no_key',
        `auth_type "${e.openWebUiAuth.type}" sends no LiteLLM key${e.openWebUiAuth.type === 'session' ? " (it forwards the user's Open WebUI token, which LiteLLM does not know)" : ''}: LiteLLM refuses every request`,
        'set "auth_type": "bearer" and "key": "<the LiteLLM key for Open WebUI>" (Open WebUI adds "Bearer ")',
      ),
    );
  } else if (!auth && !keyHeader) {
    out.push(
      finding(
        at(e.line),
        'no_key',
        'no Authorization header: LiteLLM refuses every MCP request without a key',
        keyFix(e.client),
      ),
    );
  }
  if (auth) {
    const r = resolveValue(auth.value, e.client, env);
    const shape = r.shape.trimStart();
    if (/^bearer\s+bearer\s/i.test(shape)) {
      out.push(
        finding(
          at(auth.line),
          'double_bearer_prefix',
          `Authorization is sent as "Bearer Bearer …"${doubleWhy(e, auth)}: LiteLLM refuses it`,
          doubleFix(e, auth),
        ),
      );
    } else if (r.inputs.length > 0 && !/^bearer\s/i.test(shape)) {
      out.push(
        finding(
          at(auth.line),
          'unresolved_variable',
          `Authorization is the VS Code input \${input:${r.inputs[0]}} alone: what the user types is sent as it is, and mcpwatch cannot know whether it starts with "Bearer "`,
          `"Authorization": "Bearer \${input:${r.inputs[0]}}" (the user then types only the key)`,
        ),
      );
    } else if ((r.value !== undefined || r.shape !== '') && r.unset.length === 0 && !/^bearer\s/i.test(shape)) {
      out.push(
        finding(
          at(auth.line),
          'missing_bearer_prefix',
          `the Authorization value lacks "Bearer "${auth.value.kind === 'env' ? ` (${auth.value.variable} holds the bare key)` : ''}: LiteLLM refuses the key`,
          bearerFix(e, auth),
        ),
      );
    }
  }
  return out;
}

function mcpUrl(t: Target): string {
  return `${t.url.replace(/\/+$/, '')}${t.mcpPath}`;
}

function serversFix(c: ClientKind): string {
  switch (c) {
    case 'codex':
      return 'add http_headers = { "x-mcp-servers" = "mcp_postgres,mcp_filesystem" }';
    case 'openwebui':
      return 'add "headers": { "x-mcp-servers": "mcp_postgres,mcp_filesystem" } to the connection, or name the server in the URL (/mcp/mcp_postgres)';
    default:
      return 'add "x-mcp-servers": "mcp_postgres,mcp_filesystem" to "headers"';
  }
}

function keyFix(c: ClientKind): string {
  switch (c) {
    case 'codex':
      return 'add bearer_token_env_var = "LITELLM_KEY" (Codex sends Authorization: Bearer $LITELLM_KEY)';
    case 'vscode':
      return 'add "Authorization": "Bearer ${input:litellm-key}" to "headers" (with an input of type promptString, password: true)';
    case 'openwebui':
      return 'set "auth_type": "bearer" and "key" to the LiteLLM key';
    default:
      return 'add "Authorization": "Bearer ${LITELLM_KEY}" to "headers"';
  }
}

function plaintextFix(c: ClientKind): string {
  switch (c) {
    case 'codex':
      return 'put the key in an environment variable: bearer_token_env_var = "LITELLM_KEY"';
    case 'vscode':
      return 'use an input: "Authorization": "Bearer ${input:litellm-key}", or "Bearer ${env:LITELLM_KEY}"';
    case 'openwebui':
      return 'keep the env file out of version control and readable only by the service';
    default:
      return 'use a variable: "Authorization": "Bearer ${LITELLM_KEY}"';
  }
}

function bearerFix(e: ClientEntry, h: EntryHeader): string {
  if (e.client === 'codex') {
    return h.value.kind === 'env'
      ? `use bearer_token_env_var = "${h.value.variable}" instead of env_http_headers (Codex adds "Bearer "), or put "Bearer " in the variable`
      : 'add the `Bearer ` prefix: Authorization = "Bearer <key>", better bearer_token_env_var = "LITELLM_KEY"';
  }
  if (e.client === 'vscode') return 'add the `Bearer ` prefix: "Authorization": "Bearer ${input:litellm-key}"';
  if (e.client === 'openwebui')
    return 'use "auth_type": "bearer" with the bare key in "key" (Open WebUI adds "Bearer ")';
  return 'add the `Bearer ` prefix: "Authorization": "Bearer ${LITELLM_KEY}"';
}

function doubleWhy(e: ClientEntry, h: EntryHeader): string {
  if (h.value.kind === 'env' && h.value.prefix)
    return ` (${h.value.variable} already starts with "Bearer ", and bearer_token_env_var adds another)`;
  if (e.client === 'openwebui' && e.openWebUiAuth?.type === 'bearer')
    return ' (the key already starts with "Bearer ", and Open WebUI adds another)';
  return '';
}

function doubleFix(e: ClientEntry, h: EntryHeader): string {
  if (h.value.kind === 'env' && h.value.prefix) return `put only the key in ${h.value.variable} (without "Bearer ")`;
  if (e.client === 'openwebui') return 'put only the key in "key" (without "Bearer ")';
  return 'write "Bearer " once';
}

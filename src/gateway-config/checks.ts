import { isSensitiveName } from '../util/credentials.js';
import type { GatewayEnv } from './env-file.js';
import {
  commandAllowed,
  ENFORCED_FROM,
  NOT_ENFORCED_UP_TO,
  STDIO_COMMANDS,
  STDIO_EXTRA,
  STDIO_FLAG,
  stdioEnabled,
  stdioGateOf,
  type Enforcement,
} from './stdio-gate.js';
import type { ConfigString, GatewayConfig, GatewayFinding, GatewayFindingCode, ServerDecl } from './types.js';

const SEVERITY: Record<GatewayFindingCode, GatewayFinding['severity']> = {
  // LiteLLM 1.77.1 does not start (a server's env value None); elsewhere the setting is None (no master key!).
  unset_variable: 'error',
  // os.environ/ in a list (args) is passed on as the text itself.
  unexpanded_reference: 'error',
  // LiteLLM replaces no ${VAR} in config.yaml: the server gets the placeholder.
  placeholder_not_replaced: 'error',
  plaintext_secret: 'error',
  invalid_server: 'error',
  // Both by the version: an error where it is enforced or not known, a warning where it is not.
  command_not_allowed: 'error',
  stdio_disabled: 'error',
  missing_at_gateway: 'error',
  // Added through the UI or the database: the file no longer says what the gateway runs.
  undeclared_at_gateway: 'warning',
};

/** How much a finding of this code matters (the stdio gate's codes also depend on the version). */
export function severityOf(code: GatewayFindingCode): GatewayFinding['severity'] {
  return SEVERITY[code];
}

export interface CheckOptions {
  /** The gateway's LiteLLM version when known (`--live` reads it): it decides the stdio gate's severity. */
  version?: string;
}

/** Every finding of config.yaml, in line order. Pure: the environment is passed in, no value is ever in a message. */
export function checkGatewayConfig(cfg: GatewayConfig, env: GatewayEnv, opts: CheckOptions = {}): GatewayFinding[] {
  const out: GatewayFinding[] = [];
  const gate = stdioGateOf(opts.version);
  for (const s of cfg.servers) out.push(...serverFindings(cfg.file, s, env, gate));
  for (const str of cfg.strings) out.push(...referenceFindings(cfg.file, str, env), ...secretFindings(cfg, str));
  return out.sort((a, b) => a.line - b.line);
}

export function finding(
  where: Pick<GatewayFinding, 'file' | 'line' | 'server'>,
  code: GatewayFindingCode,
  message: string,
  fix: string,
  severity: GatewayFinding['severity'] = SEVERITY[code],
): GatewayFinding {
  return { ...where, code, severity, message, fix };
}

/** What the entry holds by its transport: a command for stdio, a URL for http and sse. */
function serverFindings(file: string, s: ServerDecl, env: GatewayEnv, gate: Enforcement): GatewayFinding[] {
  const at = (line: number): Pick<GatewayFinding, 'file' | 'line' | 'server'> => ({ file, line, server: s.name });
  const out: GatewayFinding[] = [];
  const invalid = (line: number, message: string, fix: string): void =>
    void out.push(finding(at(line), 'invalid_server', message, fix));
  if (s.name.includes('-'))
    invalid(
      s.line,
      `"${s.name}" has a "-", which LiteLLM puts between a server's name and its tools: it does not start`,
      `rename it ${s.name.replace(/-/g, '_')}`,
    );
  const transport = s.transport?.text ?? 'http';
  if (!['stdio', 'http', 'sse'].includes(transport)) {
    invalid(
      s.transport!.line,
      `transport "${transport}" is none of LiteLLM's (stdio, http, sse): it does not start`,
      'write transport: stdio, http or sse',
    );
    return out;
  }
  if (transport === 'stdio') {
    if (!s.command)
      invalid(
        s.transport!.line,
        'a stdio server without command: LiteLLM has nothing to run',
        'add command: npx (or uvx, node, python…) and its args',
      );
    if (s.args?.notStrings) invalid(s.args.line, 'args is not a list of strings', 'write args: ["--flag", "value"]');
  } else if (!s.url) {
    const why = s.command ? ` (it has a command, but ${s.transport ? transport : 'no transport means http'})` : '';
    invalid(
      s.line,
      `no url for a ${transport} server${why}: LiteLLM cannot reach it`,
      s.command ? 'add transport: stdio' : 'add url: https://…/mcp',
    );
  }
  if (s.envNotAMap !== undefined)
    invalid(s.envNotAMap, 'env is not a map of NAME: value', 'write env: { NAME: value }');
  if (transport === 'stdio') out.push(...stdioGateFindings(s, env, gate, at));
  return out;
}

/** The stdio gate of 1.109+: LITELLM_ENABLE_MCP_STDIO=true, and a command in the allowlist. */
function stdioGateFindings(
  s: ServerDecl,
  env: GatewayEnv,
  gate: Enforcement,
  at: (line: number) => Pick<GatewayFinding, 'file' | 'line' | 'server'>,
): GatewayFinding[] {
  const out: GatewayFinding[] = [];
  const severity = gate === 'not_enforced' ? 'warning' : 'error';
  const which =
    gate === 'not_enforced'
      ? `this gateway's LiteLLM runs it, but ${ENFORCED_FROM} and newer refuse it`
      : gate === 'enforced'
        ? "this gateway's LiteLLM refuses it"
        : `LiteLLM ${ENFORCED_FROM} and newer refuse it (${NOT_ENFORCED_UP_TO} does not)`;
  if (!stdioEnabled(env.get(STDIO_FLAG))) {
    const set = env.where(STDIO_FLAG)
      ? `${STDIO_FLAG} is not "true" (${env.where(STDIO_FLAG)})`
      : `${STDIO_FLAG} is not set`;
    out.push(
      finding(
        at(s.transport!.line),
        'stdio_disabled',
        `${set}: ${which}: the server does not start`,
        `set ${STDIO_FLAG}=true in the gateway's environment (an env file, or docker-compose.yml's environment:)`,
        severity,
      ),
    );
  }
  if (s.command && !commandAllowed(s.command.text, env.get(STDIO_EXTRA))) {
    out.push(
      finding(
        at(s.command.line),
        'command_not_allowed',
        `command "${s.command.text}" is not in LiteLLM's stdio allowlist (${STDIO_COMMANDS.join(', ')}, ` +
          `plus ${STDIO_EXTRA}): ${which}: the server does not start`,
        `run it through an allowed command (uvx --from PACKAGE NAME, npx -y PACKAGE), or add ` +
          `${STDIO_EXTRA}=${s.command.text.slice(s.command.text.lastIndexOf('/') + 1)} to the gateway's environment`,
        severity,
      ),
    );
  }
  return out;
}

/** The entry a value belongs to (`mcp_servers.NAME…`), else the setting's path. */
function subjectOf(str: ConfigString): string {
  const m = /^mcp_servers\.([^.[]+)/.exec(str.path);
  return m ? m[1]! : str.path;
}

const OS_ENVIRON = /^os\.environ\/(.*)$/;
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^}]*)?\}/g;
const HAS_PLACEHOLDER = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-[^}]*)?\}/;

/** `os.environ/VAR` that nothing sets, or that LiteLLM does not replace (in a list); `${VAR}`, never replaced. */
function referenceFindings(file: string, str: ConfigString, env: GatewayEnv): GatewayFinding[] {
  const at = { file, line: str.line, server: subjectOf(str) };
  const ref = OS_ENVIRON.exec(str.text);
  const out: GatewayFinding[] = [];
  if (ref && str.inList) {
    out.push(
      finding(
        at,
        'unexpanded_reference',
        `${str.path} is "${str.text}": LiteLLM replaces os.environ/ only in a setting's value, not in a list, ` +
          'so the text itself is passed on',
        `pass it in env (${ref[1]}: ${str.text}) for the server to read, not in args`,
      ),
    );
  } else if (ref && !present(env.get(ref[1]!))) {
    out.push(
      finding(
        at,
        'unset_variable',
        `${str.path} is ${str.text}, and no env file nor the environment sets ${ref[1]}: ${unsetMeans(str.path)}`,
        `set ${ref[1]} in the gateway's env file (and give it here with --env-file)`,
      ),
    );
  }
  for (const m of str.text.matchAll(PLACEHOLDER)) {
    out.push(
      finding(
        at,
        'placeholder_not_replaced',
        `${str.path} holds \${${m[1]}}: LiteLLM does not replace \${…} in config.yaml, so it is passed on as written`,
        `write ${str.key ?? 'the value'}: os.environ/${m[1]} (the whole value), and set ${m[1]} in the env file`,
      ),
    );
  }
  return out;
}

/** What LiteLLM does with an `os.environ/` it cannot resolve (None), by where it is (seen on 1.77.1 and 1.109.1). */
function unsetMeans(path: string): string {
  if (path === 'general_settings.master_key')
    return 'LiteLLM 1.77.1 starts without a master key and answers every request without one; 1.109.1 does not start';
  if (/^mcp_servers\.[^.]+\.env\./.test(path)) return "LiteLLM does not start (the server's env value is None)";
  if (/^mcp_servers\.[^.]+\.url$/.test(path)) return 'the server has no URL: it is listed, and lists no tools';
  return 'LiteLLM reads it as nothing (None)';
}

const present = (v: string | undefined): boolean => v !== undefined && v !== '';

const SK_KEY = /\bsk-[A-Za-z0-9_-]{6,}/;
const URI_PASSWORD = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:[^\s@/]+@/i;

/** A secret written in the file: master_key not a reference, an sk- key, a password in a URI, a credential's name. */
function secretFindings(cfg: GatewayConfig, str: ConfigString): GatewayFinding[] {
  if (OS_ENVIRON.test(str.text) || str.text.trim() === '') return [];
  const what =
    str.path === 'general_settings.master_key'
      ? 'the master key'
      : SK_KEY.test(str.text)
        ? 'an sk- key'
        : URI_PASSWORD.test(str.text)
          ? 'a URI with its password'
          : str.key && isSensitiveName(str.key) && !HAS_PLACEHOLDER.test(str.text)
            ? `a ${str.key}`
            : undefined;
  if (!what) return [];
  const name = envNameFor(str);
  return [
    finding(
      { file: cfg.file, line: str.line, server: subjectOf(str) },
      'plaintext_secret',
      `${str.path} holds ${what} written in config.yaml: ` +
        'anyone who can read the file (or the image, or the repository) has it',
      `move it to the env file: write ${str.key ?? 'the value'}: os.environ/${name} here ` +
        `and set ${name} in the env file`,
    ),
  ];
}

/** The variable a secret should move to: LITELLM_MASTER_KEY, an env entry's own name, else the key upper-cased. */
function envNameFor(str: ConfigString): string {
  if (str.path === 'general_settings.master_key') return 'LITELLM_MASTER_KEY';
  if (/^mcp_servers\.[^.]+\.env\./.test(str.path) && str.key) return str.key;
  const base = (str.key ?? str.path).replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
  return /^mcp_servers\./.test(str.path) ? `${subjectOf(str).toUpperCase()}_${base}` : base;
}

/** The values written in config.yaml that a finding may be about (keys, passwords): for the redactor, never shown. */
export function secretTexts(cfg: GatewayConfig): string[] {
  return cfg.strings.filter((s) => secretFindings(cfg, s).length > 0).map((s) => s.text);
}

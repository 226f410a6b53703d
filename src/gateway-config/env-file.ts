/** One variable an env file sets: its value (never printed) and where. */
export interface EnvVar {
  value: string;
  file: string;
  line: number;
}

/** The variables LiteLLM runs with, as far as mcpwatch knows them: the env files, then its own environment. */
export interface GatewayEnv {
  /** The value LiteLLM gets, or undefined when nothing sets it. */
  get(name: string): string | undefined;
  /** Where it is set: `FILE:LINE`, or `the environment`. */
  where(name: string): string | undefined;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Pure: the variables of an env file, read as Compose's `env_file` reads it: `NAME=value` (an `export ` before it
 * allowed), `#` comments, a value in single quotes kept as written, in double quotes with `\n`-style escapes, an
 * unquoted one up to ` #`. A line that is not an assignment is skipped; `NAME` alone takes the environment's value
 * (Compose does), which is left to the environment here. Later lines win.
 */
export function parseEnvFile(file: string, text: string): Map<string, EnvVar> {
  const out = new Map<string, EnvVar>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/^\s*export\s+/, '');
    if (/^\s*(#|$)/.test(raw)) continue;
    const eq = raw.indexOf('=');
    if (eq < 0) continue;
    const name = raw.slice(0, eq).trim();
    if (!NAME.test(name)) continue;
    const { value, endLine } = valueOf(raw.slice(eq + 1).trimStart(), lines, i);
    out.set(name, { value, file, line: i + 1 });
    i = endLine;
  }
  return out;
}

/** A value as Compose reads it; a quoted value may go on over later lines (`endLine`: the last line it took). */
function valueOf(rest: string, lines: readonly string[], i: number): { value: string; endLine: number } {
  const q = rest[0];
  if (q !== '"' && q !== "'") return { value: rest.replace(/\s+#.*$/, '').trimEnd(), endLine: i };
  let body = rest.slice(1);
  let end = i;
  let close = closingQuote(body, q);
  while (close < 0 && end + 1 < lines.length) {
    end++;
    body += `\n${lines[end]!}`;
    close = closingQuote(body, q);
  }
  if (close < 0) return { value: rest.trimEnd(), endLine: i }; // no closing quote: taken as written
  const inner = body.slice(0, close);
  return { value: q === "'" ? inner : unescape(inner), endLine: end };
}

function closingQuote(s: string, q: string): number {
  for (let j = 0; j < s.length; j++) {
    if (q === '"' && s[j] === '\\') j++;
    else if (s[j] === q) return j;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

/** The env files (a later file wins, as Compose's `env_file` list does), then the environment for what they lack. */
export function gatewayEnv(
  files: ReadonlyArray<Map<string, EnvVar>>,
  env: Readonly<Record<string, string | undefined>>,
): GatewayEnv {
  const merged = new Map<string, EnvVar>();
  for (const f of files) for (const [k, v] of f) merged.set(k, v);
  return {
    get: (name) => merged.get(name)?.value ?? env[name],
    where: (name) => {
      const v = merged.get(name);
      if (v) return `${v.file}:${v.line}`;
      return env[name] === undefined ? undefined : 'the environment';
    },
  };
}

// LiteLLM's gate on stdio MCP servers, as the installed releases have it (their source, and tried: see
// docs/gateway-config.md). 1.109.1 and 1.110.2 run a stdio server only with LITELLM_ENABLE_MCP_STDIO=true in the
// proxy's environment, and only a command whose file name is in an allowlist (litellm/constants.py
// MCP_STDIO_ALLOWED_COMMANDS, extended by LITELLM_MCP_STDIO_EXTRA_COMMANDS); 1.77.1 has neither.

/** `MCP_STDIO_ALLOWED_COMMANDS` of LiteLLM 1.109.1 and 1.110.2. */
export const STDIO_COMMANDS = ['npx', 'uvx', 'python', 'python3', 'node', 'docker', 'deno'] as const;
export const STDIO_FLAG = 'LITELLM_ENABLE_MCP_STDIO';
export const STDIO_EXTRA = 'LITELLM_MCP_STDIO_EXTRA_COMMANDS';

/** The newest release seen without the gate, and the oldest seen with it; those between were not tried. */
export const NOT_ENFORCED_UP_TO = '1.77.1';
export const ENFORCED_FROM = '1.109.1';

/** Whether a release enforces the gate: known for those tried, `unknown` for a version between them or none given. */
export type Enforcement = 'enforced' | 'not_enforced' | 'unknown';

export function stdioGateOf(version: string | undefined): Enforcement {
  const v = version === undefined ? undefined : parseVersion(version);
  if (!v) return 'unknown';
  if (compare(v, parseVersion(ENFORCED_FROM)!) >= 0) return 'enforced';
  if (compare(v, parseVersion(NOT_ENFORCED_UP_TO)!) <= 0) return 'not_enforced';
  return 'unknown';
}

function parseVersion(s: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(s.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Whether the stdio flag is on, as LiteLLM reads it (`.strip().lower() == "true"`). */
export function stdioEnabled(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}

/**
 * Whether LiteLLM runs `command`, as 1.109's upstream.py decides: the file name (after the last `/`) is in the
 * list, as written or lower-cased without `.exe`, `.cmd`, `.bat` or `.com`. The extra commands are split on `,`
 * and not trimmed (`node, env` allows ` env`, not `env`), as LiteLLM splits them.
 */
export function commandAllowed(command: string, extra: string | undefined): boolean {
  const allowed = new Set<string>([...STDIO_COMMANDS, ...(extra ?? '').split(',').filter((c) => c !== '')]);
  const name = command.slice(command.lastIndexOf('/') + 1);
  const lower = name.toLowerCase();
  const normalized = ['.exe', '.cmd', '.bat', '.com'].reduce(
    (n, suffix) => (n === lower && lower.endsWith(suffix) ? lower.slice(0, -suffix.length) : n),
    lower,
  );
  return allowed.has(name) || allowed.has(normalized);
}

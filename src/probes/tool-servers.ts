// Which upstream server a tool belongs to, from its name as the gateway lists it: shared by the catalog,
// the call and the client probes, and by the log correlation.

/** The `server` label of tools without a server prefix (a server probed directly, not through the gateway). */
export const NO_PREFIX = '(none)';

/**
 * Tools per server prefix. LiteLLM names tools `{server}-{tool}`; with the requested servers
 * known, the longest matching alias wins (aliases may contain `-`); requested servers without
 * tools count 0, which is itself a finding (LiteLLM hides a failed upstream as an empty list).
 */
export function toolsPerServer(
  names: readonly string[],
  servers: readonly string[],
  separator = '-',
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of servers) out[s] = 0;
  for (const name of names) {
    const server = serverOf(name, servers, separator);
    out[server] = (out[server] ?? 0) + 1;
  }
  return out;
}

/**
 * The server a tool `{server}-{tool}` belongs to: the longest of `servers` that prefixes it (aliases
 * may contain `-`), else what comes before the first `-`, else NO_PREFIX.
 */
export function serverOf(tool: string, servers: readonly string[], separator = '-'): string {
  let best: string | undefined;
  for (const s of servers) if (tool.startsWith(`${s}${separator}`) && s.length > (best?.length ?? -1)) best = s;
  return best ?? (tool.includes(separator) ? tool.slice(0, tool.indexOf(separator)) : NO_PREFIX);
}

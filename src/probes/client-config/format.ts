// How a person reads a client_config result's details (`mcpwatch probe`).
import type { ClientConfigDetails } from './details.js';

export function format(d: ClientConfigDetails): string[] {
  const lines = [`client:   ${d.client} entry "${d.server}" at ${d.file}:${d.line}`];
  for (const f of d.findings) {
    lines.push(`  ${d.file}:${f.line}: ${f.severity}: [${f.code}] ${f.message} — fix: ${f.fix}`);
  }
  if (d.live) lines.push(`live:     ${d.live.outcome}: ${d.live.reason}`);
  return lines;
}

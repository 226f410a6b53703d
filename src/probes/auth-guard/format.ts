// How a person reads an auth_guard result's details (`mcpwatch probe`).
import { protocolLine, restLine } from '../details-lines.js';
import type { CheckResult, GuardProbeDetails } from './details.js';

export function format(d: GuardProbeDetails): string[] | undefined {
  if (!('authChecks' in d)) return undefined;
  const { authChecks, protocol, ...rest } = d;
  const lines = [...protocolLine(protocol), 'checks:'];
  for (const [check, c] of Object.entries(authChecks))
    lines.push(`  ${check.padEnd(17)} ${verdictOf(c)}: ${c.reason ?? ''}`);
  return [...lines, ...restLine(rest)];
}

function verdictOf(c: CheckResult): string {
  if (c.enforced !== undefined) return c.enforced ? 'rejected, as it must be' : 'NOT REJECTED';
  if (c.accepted !== undefined) return c.accepted ? 'accepted, as it must be' : 'REFUSED';
  return 'unknown';
}

// The series a client_config probe records: its entry's findings by code and severity.
import { defineSeries } from '../probe-type.js';
import type { ClientConfigDetails } from './details.js';

const families = {
  clientConfigFindings: {
    kind: 'gauge',
    name: 'mcp_client_config_findings',
    help: "Findings in a client's own config entry (client_config probes), by code and severity, from its last run.",
    labels: ['code', 'severity'],
  },
} as const;

export const series = defineSeries<ClientConfigDetails, typeof families, Set<string>>({
  families,
  /** "code\0severity" of each series set. */
  init: () => new Set<string>(),
  /** Findings per code and severity; codes no longer found go back to 0 (an alert resolves). */
  record(f, labels, seen, d) {
    if (!d) return;
    const counts = new Map<string, number>();
    for (const x of d.findings) {
      const key = `${x.code}\u0000${x.severity}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const key of new Set([...seen, ...counts.keys()])) {
      const [code, severity] = key.split('\u0000') as [string, string];
      f.clientConfigFindings.set({ ...labels, code, severity }, counts.get(key) ?? 0);
      seen.add(key);
    }
  },
  forget(f, labels, seen) {
    for (const key of seen) {
      const [code, severity] = key.split('\u0000') as [string, string];
      f.clientConfigFindings.remove({ ...labels, code, severity });
    }
  },
});

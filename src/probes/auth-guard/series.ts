// The series an auth_guard probe records: whether the gateway refused each check's request.
import { defineSeries } from '../probe-type.js';
import type { GuardProbeDetails } from './details.js';

const families = {
  authEnforced: {
    kind: 'gauge',
    name: 'mcp_auth_enforced',
    help: 'Whether the gateway rejected the request of each auth check (1) or let it through (0).',
    labels: ['check'],
  },
} as const;

export const series = defineSeries<GuardProbeDetails, typeof families, Set<string>>({
  families,
  /** The checks with a series. */
  init: () => new Set<string>(),
  record(f, labels, checks, d) {
    if (!d || !('authChecks' in d)) return;
    for (const [check, r] of Object.entries(d.authChecks)) {
      // A check that could not be told leaves its last value.
      if (r.enforced === undefined) continue;
      f.authEnforced.set({ ...labels, check }, r.enforced ? 1 : 0);
      checks.add(check);
    }
  },
  forget(f, labels, checks) {
    for (const check of checks) f.authEnforced.remove({ ...labels, check });
  },
});

export type CheckStatus = 'ok' | 'degraded' | 'fail';
export type HealthStatus = 'ok' | 'degraded' | 'unhealthy';

export interface Check {
  status: CheckStatus;
  message?: string;
  [k: string]: unknown;
}

export interface HealthReport {
  status: HealthStatus;
  checks: Record<string, Check>;
  /** Findings about what mcpwatch watches (failing probes per target). They never make mcpwatch unhealthy. */
  targets: Record<string, { up: boolean; probes: number; failing: string[] }>;
}

/**
 * Overall status from the checks: any `fail` makes mcpwatch unhealthy (503: restart it), any
 * `degraded` is degraded (200: it works, partly). Gateway findings are reported beside, not
 * counted: a gateway that is down is what mcpwatch is there to notice, not mcpwatch failing.
 */
export function overallStatus(checks: Record<string, Check>): HealthStatus {
  const statuses = Object.values(checks).map((c) => c.status);
  if (statuses.includes('fail')) return 'unhealthy';
  if (statuses.includes('degraded')) return 'degraded';
  return 'ok';
}

export function httpStatusFor(status: HealthStatus): number {
  return status === 'unhealthy' ? 503 : 200;
}

import type { HealthReport } from '../runtime/health-view.js';
import type { RecentMatch } from '../runtime/log-matches.js';
import type { CatalogView, StatusDocument } from '../runtime/status-view.js';
import type { ProbeResult } from '../probes/types.js';
import type { Redactor } from '../util/redact.js';

/** What the monitoring MCP tools read from the running agent (and nothing more). */
export interface MonitoringSource {
  readonly redactor: Redactor;
  health(): HealthReport;
  status(): StatusDocument;
  probeNames(): string[];
  runProbe(name: string): Promise<ProbeResult>;
  /** Recent log matches, newest first; undefined without log tailing. */
  recentLogMatches(): RecentMatch[] | undefined;
  /** The last catalog seen per catalog probe, with the changes since the one before. */
  catalogs(): CatalogView[];
}

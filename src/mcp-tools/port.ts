import type { HealthReport } from '../runtime/health-view.js';
import type { RecentMatch } from '../runtime/log-matches.js';
import type { CatalogView, ProbeElsewhere, StatusDocument } from '../runtime/status-view.js';
import type { ProbeResult } from '../probes/table.js';
import type { Redactor } from '../util/redact.js';

/** What the monitoring MCP tools read from the running agent (and nothing more). */
export interface MonitoringSource {
  readonly redactor: Redactor;
  health(): HealthReport;
  status(): StatusDocument;
  /** The probes this replica runs (with shards: its shard's). */
  probeNames(): string[];
  /** A configured probe that another replica runs (another shard's): where; undefined otherwise. */
  probeElsewhere(name: string): ProbeElsewhere | undefined;
  runProbe(name: string): Promise<ProbeResult>;
  /** Recent log matches, newest first; undefined without log tailing. */
  recentLogMatches(): RecentMatch[] | undefined;
  /** The last catalog seen per catalog probe, with the changes since the one before. */
  catalogs(): CatalogView[];
}

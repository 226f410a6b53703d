// What a client_config probe reports about its run (`details` of its result).
import type { Outcome, ProtocolFacts } from '../types.js';

/** client_config: what is wrong with the entry, and how its own request went. */
export interface ClientConfigDetails {
  client: string;
  file: string;
  server: string;
  line: number;
  findings: Array<{ line: number; code: string; severity: 'error' | 'warning'; message: string; fix: string }>;
  /** The entry's own request (live: true), when its values are all known here. */
  live?: { outcome: Outcome; reason: string; toolsPerServer?: Record<string, number> };
  /** Why the request was not sent (a value not known in mcpwatch's environment). */
  notSent?: string;
  /** What the entry's own request spoke (live). */
  protocol?: ProtocolFacts;
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cursor } from '../../src/logs/cursor.js';
import { tsToMs } from '../../src/logs/lines.js';
import { containerRules } from '../../src/logs/litellm-rules.js';
import { LogPipeline } from '../../src/logs/pipeline.js';
import { keptRecord, type KeptRecord } from '../../src/logs/record-ring.js';
import { REPO } from './agent-proc.js';

/**
 * A real `docker logs -t` of LiteLLM 1.77.1 (test/integration/log-evidence.test.ts): mcp_broken failing, then
 * postgres-mcp without its database.
 */
export const EVIDENCE_FIXTURE = join(REPO, 'test/fixtures/evidence/litellm-1.77.1-broken-and-postgres-down.log');

/** The fixture's records, as the log service ends them (tty mode: the capture merged both streams). */
export function fixtureRecords(container = 'litellm'): KeptRecord[] {
  const out: KeptRecord[] = [];
  const p = new LogPipeline(true, containerRules({ rules: ['litellm'], extraRules: [] }), new Cursor({ id: 'c' }), {
    line: () => undefined,
    match: () => undefined,
    recordEnd: (rec, matched) => void (rec.duplicate || out.push(keptRecord(container, tsToMs(rec.ts), rec, matched))),
  });
  p.push(readFileSync(EVIDENCE_FIXTURE));
  p.end();
  return out;
}

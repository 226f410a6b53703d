import { join } from 'node:path';
import { Cursor } from '../../src/logs/cursor.js';
import type { LogLine } from '../../src/logs/lines.js';
import { litellmRules } from '../../src/logs/litellm-rules.js';
import { LogPipeline } from '../../src/logs/pipeline.js';
import type { Match } from '../../src/logs/rules.js';
import { RuleSet } from '../../src/logs/rules.js';
import { REPO } from './agent-proc.js';
import { frame } from './docker-frames.js';

/** What real LiteLLM versions wrote for one request each (captured by capture.ts). */
export const LITELLM_FIXTURES = join(REPO, 'test/fixtures/litellm');

let clock = 0;
function ts(): string {
  clock++;
  return `2026-11-24T10:00:${String(Math.floor(clock / 1000) % 60).padStart(2, '0')}.${String(clock).padStart(9, '0')}Z`;
}

/** A text as Docker's framed stream with timestamps: one frame per line. */
export function asFrames(text: string, stream: 1 | 2): Buffer {
  return Buffer.concat(
    text
      .split(/(?<=\n)/)
      .filter(Boolean)
      .map((l) => frame(stream, `${ts()} ${l}`)),
  );
}

export interface PipelineRun {
  lines: LogLine[];
  matches: Array<Match & { stream: string; ip?: string }>;
}

/** Chunks of a Docker log stream through a pipeline (the litellm rules unless said), to its end. */
export function runPipeline(
  chunks: Buffer[],
  opts: { tty?: boolean; rules?: RuleSet; cursor?: Cursor } = {},
): PipelineRun {
  const out: PipelineRun = { lines: [], matches: [] };
  const p = new LogPipeline(
    opts.tty ?? false,
    opts.rules ?? new RuleSet(litellmRules()),
    opts.cursor ?? new Cursor({ id: 'c' }),
    {
      line: (l) => out.lines.push(l),
      match: (m, r) => out.matches.push({ ...m, stream: r.stream, ...(r.requesterIp && { ip: r.requesterIp }) }),
    },
  );
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

import type { ContainerConfig, RawConfig } from '../config/schema.js';
import { Cursor, nowTs } from './cursor.js';
import { DockerSource } from './docker-source.js';
import { tsToMs, tsToSince } from './lines.js';
import { containerRules } from './litellm-rules.js';
import { LogPipeline } from './pipeline.js';
import { keptRecord, type KeptRecord, type RingWindow } from './record-ring.js';
import type { LogRecord } from './records.js';
import type { Match } from './rules.js';

/** A bounded read gives up after this long (a daemon that does not answer). */
const READ_TIMEOUT_MS = 10_000;

/** Docker's `since`/`until` (`seconds.nanoseconds`) for an epoch-ms time. */
const dockerTime = (ms: number): string => tsToSince(nowTs(ms));

/**
 * What a bounded read reports: each match as it is found, each complete record (duplicates of a record already read
 * included, marked).
 */
export interface WindowSink {
  match?(m: Match, rec: LogRecord): void;
  recordEnd(rec: LogRecord, matched: readonly Match[]): void;
}

/**
 * One time window of a container's log, read from Docker once (not followed), through the
 * container's rules into `sink`. Throws with a reason a person can act on when the container or
 * Docker cannot be read. Returns the container's id.
 */
export async function readLog(
  docker: NonNullable<RawConfig['logs']>['docker'],
  c: ContainerConfig,
  from: number,
  to: number,
  sink: WindowSink,
): Promise<string> {
  const source = new DockerSource(docker);
  const info = await source.find(c.name).catch((err: Error) => {
    throw new Error(`Docker API at ${source.endpoint}: ${err.message}`);
  });
  if (!info) throw new Error(`no container named ${c.name}`);
  const stream = await source.logs(info.id, { since: dockerTime(from), until: dockerTime(to + 1) }, false);
  const pipeline = new LogPipeline(info.tty, containerRules(c), new Cursor({ id: info.id }), {
    line: () => undefined,
    match: (m, rec) => sink.match?.(m, rec),
    recordEnd: (rec, matched) => sink.recordEnd(rec, matched),
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`reading the log of ${c.name} took over ${READ_TIMEOUT_MS / 1000}s`));
    }, READ_TIMEOUT_MS);
    stream.on('data', (chunk: Buffer) => {
      try {
        pipeline.push(chunk);
      } catch (err) {
        clearTimeout(timer);
        stream.destroy();
        reject(err as Error);
      }
    });
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      pipeline.end();
      resolve();
    });
  });
  return info.id;
}

/**
 * One time window of a container's log as records: for `mcpwatch probe`, which follows no log,
 * to show what the gateway logged about a failed run.
 */
export async function readLogWindow(
  docker: NonNullable<RawConfig['logs']>['docker'],
  c: ContainerConfig,
  from: number,
  to: number,
): Promise<RingWindow> {
  const records: KeptRecord[] = [];
  await readLog(docker, c, from, to, {
    recordEnd: (rec, matched) => {
      if (rec.duplicate) return;
      const at = rec.ts ? tsToMs(rec.ts) : Date.now();
      if (at >= from && at <= to) records.push(keptRecord(c.name, at, rec, matched));
    },
  });
  records.sort((a, b) => a.at - b.at);
  return { records, overrun: false };
}

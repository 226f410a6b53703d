import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { parseConfig, type Config } from '../../src/config/parse.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';

// Configs, metrics and loggers for the runtime's tests (the agent and its parts).

/** A config with http probes of these names against a closed port (they fail fast: connect_error); `extra`: YAML. */
export function httpProbesConfig(probes: readonly string[], extra = ''): Config {
  const yaml =
    probes.length === 0
      ? `logLevel: silent\nprobes: []\n${extra}`
      : `logLevel: silent\ntargets:\n  t: { url: "http://127.0.0.1:9" }\n${extra}probes:\n` +
        probes.map((n) => `  - { name: ${n}, type: http, target: t, every: 1h }\n`).join('');
  const r = parseConfig(yaml, {});
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

export function testMetrics(): { registry: Registry; metrics: Metrics } {
  const registry = new Registry();
  return { registry, metrics: createMetrics(registry, { defaultMetrics: false }) };
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A logger at `level` that keeps its lines (parsed). */
export function capturingLogger(level = 'debug'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

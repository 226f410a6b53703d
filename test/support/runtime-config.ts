import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { parseConfig, type Config } from '../../src/config/parse.js';
import { formatProblem } from '../../src/config/problems.js';
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

/** The config of this YAML (no environment); a YAML with problems throws them. */
export function configOf(yaml: string): Config {
  const r = parseConfig(yaml, {});
  if (!r.ok) throw new Error(`invalid test config:\n${r.problems.map(formatProblem).join('\n')}`);
  return r.config;
}

/** A config with one target, `t` at `url` with an API key, and these probes (YAML list items); `extra`: YAML before. */
export function localTargetConfig(url: string, probes: string, extra = ''): Config {
  return configOf(`${extra}targets:\n  t: { url: "${url}", apiKey: sk-test-1234567890abcdef }\nprobes:\n${probes}`);
}

export function testMetrics(): { registry: Registry; metrics: Metrics } {
  const registry = new Registry();
  return { registry, metrics: createMetrics(registry, { defaultMetrics: false }) };
}

/** A recorder that `make` builds on fresh metrics, with their registry and a reader of its exposition. */
export function recorderOnTestMetrics<R>(make: (metrics: Metrics) => R): {
  rec: R;
  registry: Registry;
  text: () => Promise<string>;
} {
  const { registry, metrics } = testMetrics();
  return { rec: make(metrics), registry, text: () => registry.metrics() };
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

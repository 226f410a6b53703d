import { detectionLatency } from './detection-latency.js';
import { logThroughput } from './log-throughput.js';
import { matchingCore } from './matching-core.js';
import { probeOverhead } from './probe-overhead.js';
import { scale } from './scale.js';
import { soak } from './soak.js';
import { report, type BenchResult } from './lib.js';

/** `npm run bench [-- name ...]`: runs the named benchmarks (all by default), each printing a table and a JSON line. */
const BENCHES: Record<string, () => Promise<BenchResult>> = {
  'matching-core': matchingCore,
  'log-throughput': logThroughput,
  'detection-latency': detectionLatency,
  'probe-overhead': probeOverhead,
  scale,
  soak,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
// The 30-minute soak runs only when named: `npm run bench -- soak`.
const names = wanted.length ? wanted : Object.keys(BENCHES).filter((n) => n !== 'soak');
for (const name of names) {
  const fn = BENCHES[name];
  if (!fn) {
    process.stderr.write(`unknown benchmark ${name}; have: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  report(await fn());
}

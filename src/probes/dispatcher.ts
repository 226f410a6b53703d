import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { Target } from '../config/parse.js';
import type { PhaseClock } from './types.js';

/**
 * A dispatcher for one probe run: a fresh connection pool (so every run really connects, as
 * blackbox_exporter does, and a broken pool cannot outlive the run), the target's TLS options,
 * and the time spent connecting (TCP + TLS) added to the run's `connect` phase.
 */
export function runDispatcher(target: Target, phases: PhaseClock, timeoutMs: number): Dispatcher {
  const base = buildConnector({
    rejectUnauthorized: !target.tls.insecureSkipVerify,
    ...(target.tlsFiles?.ca !== undefined && { ca: target.tlsFiles.ca }),
    ...(target.tlsFiles?.cert !== undefined && { cert: target.tlsFiles.cert }),
    ...(target.tlsFiles?.key !== undefined && { key: target.tlsFiles.key }),
    ...(target.tls.serverName !== undefined && { servername: target.tls.serverName }),
    timeout: timeoutMs,
  });
  const connect: buildConnector.connector = (opts, callback) => {
    const t0 = performance.now();
    base(opts, (err, socket) => {
      phases.add('connect', performance.now() - t0);
      // The overloads of the callback type need the two shapes called apart.
      if (err) callback(err, null);
      else callback(null, socket!);
    });
  };
  return new Agent({
    connect,
    // Timeouts are the run's (its AbortSignal); these only stop undici's defaults cutting in first.
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 1_000,
  });
}

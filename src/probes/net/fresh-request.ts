import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Target } from '../../config/target.js';
import type { FreshRequest, PhaseClock, TlsFacts } from '../types.js';
import { tlsFacts } from './connections.js';
import { tlsOptions } from './tls-options.js';

export interface FreshRequests {
  request: FreshRequest;
  /** Ends whatever the run left open (a body not read to the end). */
  close(): void;
}

/**
 * One HTTP/1.1 request on a connection of its own, closed after the response (node:http with no
 * agent): what a plain `http` check sends, as blackbox_exporter does. Like the run's dispatcher,
 * it uses the target's TLS options, adds the time to connect (DNS, TCP, TLS) to the `connect`
 * phase and hands the first TLS connection's facts to `onTls`. It is the lighter of the two at
 * hundreds of runs a second: a closed undici connection's objects outlive young-generation
 * collections and die in V8's old space (~5 KiB a connection, seen with --trace-gc-nvp and the
 * sampling heap profiler); a node:http one's do not (~60 bytes).
 */
export function freshRequests(target: Target, phases: PhaseClock, onTls?: (facts: TlsFacts) => void): FreshRequests {
  const open = new Set<ClientRequest | IncomingMessage>();
  const tls = tlsOptions(target);
  let tlsRead = false;
  const request: FreshRequest = (url, init) =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const https = u.protocol === 'https:';
      const t0 = performance.now();
      // The run's signal ends the request (its reason is the error), but only while the request
      // or its body is open: Node's own `signal` option would build an AbortError with a stack
      // trace for every finished run when the run ends its signal.
      const { signal } = init;
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const options = {
        method: init.method,
        headers: init.headers,
        agent: false as const,
        ...(https && tls),
      };
      const req = (https ? httpsRequest : httpRequest)(u, options);
      open.add(req);
      let current: ClientRequest | IncomingMessage = req;
      const onAbort = (): void => {
        current.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal.removeEventListener('abort', onAbort);
      req.once('socket', (socket) => {
        socket.once(https ? 'secureConnect' : 'connect', () => {
          phases.add('connect', performance.now() - t0);
          if (https && onTls && !tlsRead) {
            tlsRead = true;
            const facts = tlsFacts(socket as TLSSocket);
            if (facts) onTls(facts);
          }
        });
      });
      req.once('response', (res) => {
        open.delete(req);
        open.add(res);
        current = res;
        // Whoever reads the body sees its errors; unread (a run that ended first), one must not crash the agent.
        res.on('error', () => undefined);
        res.once('close', () => {
          open.delete(res);
          done();
        });
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      // `on`, not `once`: a socket may fail again after the first error; the promise settles once.
      req.on('error', (err) => {
        open.delete(req);
        done();
        reject(err);
      });
      req.once('close', () => {
        open.delete(req);
        if (current === req) done();
      });
      req.end(init.body);
    });
  return {
    request,
    close() {
      for (const r of open) r.destroy();
      open.clear();
    },
  };
}

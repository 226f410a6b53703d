import type { Target } from '../../config/target.js';

/**
 * The TLS options of a target's connections, as node:tls takes them (undici's connector and
 * node:https both pass them on): verification, the trusted CA, the client certificate and the
 * name to verify. Options the target does not set are left out, so node's defaults apply.
 */
export interface TlsOptions {
  rejectUnauthorized: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
}

/** Pure: the target's tls settings and the contents of its tls files → the options of its connections. */
export function tlsOptions(target: Pick<Target, 'tls' | 'tlsFiles'>): TlsOptions {
  const { ca, cert, key } = target.tlsFiles ?? {};
  const servername = target.tls.serverName;
  return {
    rejectUnauthorized: !target.tls.insecureSkipVerify,
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    ...(servername !== undefined && { servername }),
  };
}

import { describe, expect, it } from 'vitest';
import type { Target } from '../../../src/config/target.js';
import { tlsOptions } from '../../../src/probes/net/tls-options.js';

describe('tlsOptions', () => {
  it.each<[string, Pick<Target, 'tls' | 'tlsFiles'>, ReturnType<typeof tlsOptions>]>([
    ['defaults: verify, with the system CAs', { tls: { insecureSkipVerify: false } }, { rejectUnauthorized: true }],
    ['insecureSkipVerify', { tls: { insecureSkipVerify: true } }, { rejectUnauthorized: false }],
    [
      'the files read: a CA, a client certificate and its key',
      { tls: { insecureSkipVerify: false }, tlsFiles: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' } },
      { rejectUnauthorized: true, ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' },
    ],
    [
      'another name to verify',
      { tls: { insecureSkipVerify: false, serverName: 'litellm.internal' }, tlsFiles: { ca: 'CA PEM' } },
      { rejectUnauthorized: true, ca: 'CA PEM', servername: 'litellm.internal' },
    ],
  ])('%s', (_what, target, options) => {
    expect(tlsOptions(target)).toStrictEqual(options);
  });
});

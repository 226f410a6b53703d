import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/config/problems.js';
import { parseGoDuration, parseWebConfig, type WebConfig } from '../../src/config/web-config.js';

// The exporter-toolkit's web config format (docs/web-configuration.md of prometheus/exporter-toolkit), checked as
// the toolkit checks it: strict keys, its header list, bcrypt hashes, its TLS rules.

const FILE = '/etc/mcpwatch/web.yml';
/** A bcrypt hash as htpasswd writes it ($2y$, cost 10). */
const HASH = '$2y$10$O8LEq.7JhU.30o8DEV92TO2tQL1hxKiaKKxhxk8uyzkFfiPy/DeTm';

function valid(yaml: string, file = FILE): WebConfig {
  const r = parseWebConfig(yaml, file);
  if (!r.ok) throw new Error(`expected a valid web config, got:\n${r.problems.map(formatProblem).join('\n')}`);
  return r.config;
}

function problems(yaml: string): string[] {
  const r = parseWebConfig(yaml, FILE);
  if (r.ok) throw new Error(`expected problems, got ${JSON.stringify(r.config)}`);
  return r.problems.map(formatProblem);
}

describe('parseWebConfig: valid files', () => {
  it('an empty file turns nothing on', () => {
    expect(valid('')).toEqual({ users: {}, headers: {} });
    expect(valid('tls_server_config:\nbasic_auth_users:\n')).toEqual({ users: {}, headers: {} });
  });

  it('the toolkit sample: TLS with files relative to the web config, users, headers', () => {
    const c = valid(`tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_ca_file: ca/clients.pem
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
basic_auth_users:
  alice: ${HASH}
  bob: '$2b$04$sm.kQd20qymutQL0PMCIGutXb6JIBGHpKggXASdRLmj5fOkN2IimO'
http_server_config:
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
    Content-Security-Policy: ""
`);
    expect(c.tls).toEqual({
      cert: { file: '/etc/mcpwatch/server.crt', field: 'tls_server_config.cert_file' },
      key: { file: '/abs/server.key', field: 'tls_server_config.key_file' },
      clientCa: { file: '/etc/mcpwatch/ca/clients.pem', field: 'tls_server_config.client_ca_file' },
      clientAuth: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      honorCipherOrder: true,
    });
    expect(Object.keys(c.users)).toEqual(['alice', 'bob']);
    // A blank header is unset, as the toolkit documents.
    expect(c.headers).toEqual({
      'X-Frame-Options': 'deny',
      'X-Content-Type-Options': 'nosniff',
      'Strict-Transport-Security': 'max-age=31536000',
    });
  });

  it('a relative web config path: its files from its own folder', () => {
    const c = valid('tls_server_config: { cert_file: c.pem, key_file: k.pem }', 'conf/web.yml');
    expect(c.tls?.cert).toEqual({ file: 'conf/c.pem', field: 'tls_server_config.cert_file' });
    expect(valid('tls_server_config: { cert_file: c.pem, key_file: k.pem }', 'web.yml').tls?.key).toMatchObject({
      file: 'k.pem',
    });
  });

  it('inline PEM, the old RequireClientCert name, ciphers, curves, versions, a rate limit', () => {
    const c = valid(`tls_server_config:
  cert: "-----BEGIN CERTIFICATE-----"
  key: "-----BEGIN PRIVATE KEY-----"
  client_auth_type: RequireClientCert
  client_allowed_sans: [scraper.example]
  min_version: TLS12
  max_version: TLS12
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
rate_limit: { interval: 100ms, burst: 5 }
`);
    expect(c.tls).toMatchObject({
      cert: { pem: '-----BEGIN CERTIFICATE-----', field: 'tls_server_config.cert' },
      clientAuth: 'RequireAnyClientCert',
      allowedSans: ['scraper.example'],
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      ecdhCurve: 'X25519:P-256',
      honorCipherOrder: false,
    });
    // Go applies the list to TLS 1.2 and below; TLS 1.3's suites stay (Node would turn TLS 1.3 off without them).
    expect(c.tls?.ciphers).toBe(
      'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256',
    );
    expect(c.rateLimit).toEqual({ intervalMs: 100, burst: 5 });
  });

  it('http2 is taken, with a warning (HTTP/1.1 only); a rate limit of interval 0 is off', () => {
    const r = parseWebConfig('http_server_config: { http2: true }\nrate_limit: { interval: 0, burst: 0 }\n', FILE);
    expect(r.ok && r.warnings.map(formatProblem)).toEqual([
      'http_server_config.http2: mcpwatch serves HTTP/1.1 only (HTTPS clients negotiate it): the setting is ignored',
    ]);
    expect(r.ok && r.config.rateLimit).toBeUndefined();
  });
});

describe('parseWebConfig: every problem as path: message', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'an unknown top-level key, named with the allowed ones',
      'tls_config: {}\n',
      ['tls_config: unknown key (allowed here: tls_server_config, http_server_config, basic_auth_users, rate_limit)'],
    ],
    [
      'an unknown key under tls_server_config',
      'tls_server_config: { cert_file: a, key_file: b, ca_file: c }\n',
      [expect.stringMatching(/^tls_server_config\.ca_file: unknown key \(allowed here: cert, key, client_ca, /)],
    ],
    ['a YAML error', 'tls_server_config: [\n', [expect.stringMatching(/^yaml \(line \d+, column \d+\): /)]],
    ['not a mapping', '- a\n', ['(root): the web config must be a YAML mapping']],
    [
      'a header the toolkit does not let be set',
      'http_server_config: { headers: { Server: x } }\n',
      [
        'http_server_config.headers.Server: HTTP header "Server" can not be configured (allowed: ' +
          'Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)',
      ],
    ],
    [
      'a header value outside its enumeration',
      'http_server_config: { headers: { X-Frame-Options: allow, X-Content-Type-Options: sniff } }\n',
      [
        'http_server_config.headers.X-Frame-Options: expected one of "deny", "sameorigin", got "allow"',
        'http_server_config.headers.X-Content-Type-Options: expected one of "nosniff", got "sniff"',
      ],
    ],
    [
      'a password in clear, a missing hash, a cost out of range',
      `basic_auth_users:\n  a: secret\n  b:\n  c: '$2y$03$${'a'.repeat(53)}'\n`,
      [
        expect.stringMatching(/^basic_auth_users\.a: not a bcrypt hash: expected \$2y\$/),
        'basic_auth_users.b: no password hash (expected a bcrypt hash, e.g. from htpasswd -nBC 10)',
        'basic_auth_users.c: bcrypt cost 3 is out of range (4 to 31)',
      ],
    ],
    [
      'a key without a certificate',
      'tls_server_config: { key_file: k.pem }\n',
      ['tls_server_config.cert_file: missing one of cert or cert_file'],
    ],
    [
      'a client auth type alone turns TLS on, so the certificate is missing',
      'tls_server_config: { client_auth_type: NoClientCert }\n',
      [
        'tls_server_config.cert_file: missing one of cert or cert_file',
        'tls_server_config.key_file: missing one of key or key_file',
      ],
    ],
    [
      'both inline and file',
      'tls_server_config: { cert: x, cert_file: c.pem, key_file: k.pem }\n',
      ['tls_server_config.cert_file: set cert or cert_file, not both'],
    ],
    [
      'an unknown client auth type',
      'tls_server_config: { cert_file: c, key_file: k, client_auth_type: Always }\n',
      [
        'tls_server_config.client_auth_type: unknown client auth type "Always" (expected one of NoClientCert, ' +
          'RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)',
      ],
    ],
    [
      'a client CA without a client auth policy (the toolkit refuses it)',
      'tls_server_config: { cert_file: c, key_file: k, client_ca_file: ca }\n',
      [
        'tls_server_config.client_auth_type: a client CA is set (tls_server_config.client_ca_file) but ' +
          'client_auth_type is NoClientCert: set RequireAndVerifyClientCert',
      ],
    ],
    [
      'allowed SANs where a client may send no certificate',
      'tls_server_config: { cert_file: c, key_file: k, client_auth_type: VerifyClientCertIfGiven, client_allowed_sans: [a] }\n',
      [
        'tls_server_config.client_allowed_sans: needs client_auth_type RequireAnyClientCert or ' +
          'RequireAndVerifyClientCert (a client must send one)',
      ],
    ],
    [
      'unknown versions, ciphers and curves; min above max',
      `tls_server_config:
  cert_file: c
  key_file: k
  min_version: TLS14
  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]
  curve_preferences: [CurveP224]
`,
      [
        'tls_server_config.min_version: unknown TLS version "TLS14" (expected one of TLS10, TLS11, TLS12, TLS13)',
        expect.stringMatching(/^tls_server_config\.cipher_suites\[0\]: unknown cipher "TLS_RSA_WITH_RC4_128_SHA"/),
        'tls_server_config.curve_preferences[0]: unknown curve "CurveP224" (expected one of CurveP256, CurveP384, CurveP521, X25519)',
      ],
    ],
    [
      'min_version above max_version',
      'tls_server_config: { cert_file: c, key_file: k, min_version: TLS13, max_version: TLS12 }\n',
      ['tls_server_config.min_version: TLS13 is above max_version TLS12'],
    ],
    [
      'TLS settings with no certificate: not silently plain HTTP',
      'tls_server_config: { min_version: TLS13 }\n',
      [
        'tls_server_config.cert_file: TLS settings without a certificate: set cert_file and key_file ' +
          '(or remove tls_server_config)',
      ],
    ],
    [
      'a wrong type',
      'basic_auth_users: [alice]\nhttp_server_config: { http2: yes please }\n',
      ['http_server_config.http2: expected boolean', 'basic_auth_users: expected a mapping'],
    ],
    [
      'a rate limit that refuses everything',
      'rate_limit: { interval: 1s, burst: 0 }\n',
      ['rate_limit.burst: must be at least 1 (0 would refuse every request)'],
    ],
    [
      'a bad rate limit interval',
      'rate_limit: { interval: 1 second, burst: 1 }\n',
      ['rate_limit.interval: invalid duration "1 second" (expected a Go duration such as 1s, 100ms or 1m30s)'],
    ],
  ];
  it.each(cases)('%s', (_, yaml, want) => {
    expect(problems(yaml)).toEqual(want);
  });
});

describe('parseGoDuration', () => {
  it.each([
    ['1s', 1000],
    ['100ms', 100],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['500us', 0.5],
    ['0', 0],
  ])('%s is %d ms', (s, ms) => expect(parseGoDuration(s)).toBe(ms));
  it.each(['', '1', 's', '1d', '1s ms'])('%j is refused', (s) => expect(parseGoDuration(s)).toHaveProperty('error'));
});

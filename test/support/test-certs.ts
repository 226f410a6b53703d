import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './agent-proc.js';

/**
 * Certificates made by the test with the real openssl CLI (node:crypto cannot issue them), each
 * valid for a chosen number of days, so TLS expiry can be checked against what a real server
 * presents. notAfter is read back from the certificate itself.
 */
export interface TestCert {
  cn: string;
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
  /** notAfter, epoch ms. */
  notAfter: number;
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT')
      throw new Error('openssl not found: the TLS tests need the openssl CLI (Debian package openssl)', { cause: e });
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString() ?? err.message}`, { cause: e });
  }
}

function read(dir: string, cn: string): TestCert {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const certPem = readFileSync(certFile, 'utf8');
  return {
    cn,
    certPem,
    keyPem: readFileSync(keyFile, 'utf8'),
    certFile,
    keyFile,
    notAfter: Date.parse(new X509Certificate(certPem).validTo),
  };
}

/** A new P-256 key, as every certificate here has but the self-signed one below. */
const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

/** `openssl req` for subject CN=`cn`: a new key (no passphrase) into dir/key.pem, what it makes into dir/`out`. */
function req(dir: string, cn: string, out: string, args: string[], newKey = P256): void {
  openssl([
    'req',
    ...args,
    ...newKey,
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, out),
    '-subj',
    `/CN=${cn}`,
  ]);
}

/** A self-signed CA valid for `days`. */
export function makeCa(cn: string, days: number): TestCert {
  const dir = tempDir('mcpwatch-ca-');
  req(dir, cn, 'cert.pem', [
    '-x509',
    '-days',
    String(days),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return read(dir, cn);
}

/** A self-signed certificate with an RSA key and openssl's default extensions, valid for `days`: trusted by nobody. */
export function makeSelfSigned(cn: string, days: number): TestCert {
  const dir = tempDir('mcpwatch-self-');
  req(dir, cn, 'cert.pem', ['-x509', '-days', String(days)], ['-newkey', 'rsa:2048']);
  return read(dir, cn);
}

/**
 * A certificate signed by `ca`, valid for `days`: a server's for 127.0.0.1 and localhost, an intermediate CA's
 * (`isCa`), or a client's (`client`: for client authentication, its SAN the DNS name `cn`).
 */
export function makeCert(
  ca: TestCert,
  cn: string,
  days: number,
  opts: { isCa?: boolean; client?: boolean } = {},
): TestCert {
  const dir = tempDir('mcpwatch-cert-');
  const ext = join(dir, 'ext.cnf');
  writeFileSync(
    ext,
    opts.isCa
      ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
      : opts.client
        ? `basicConstraints=CA:FALSE\nsubjectAltName=DNS:${cn}\nextendedKeyUsage=clientAuth\n`
        : 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  req(dir, cn, 'req.pem', ['-new']);
  openssl([
    'x509',
    '-req',
    '-in',
    join(dir, 'req.pem'),
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-out',
    join(dir, 'cert.pem'),
    '-days',
    String(days),
    '-extfile',
    ext,
  ]);
  return read(dir, cn);
}

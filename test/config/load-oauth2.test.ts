import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, signingKey } from '../../src/config/load.js';
import { formatProblem } from '../../src/config/problems.js';
import { tempDir } from '../support/agent-proc.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const ec384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
const pkcs8 = (k: typeof rsa): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('signingKey: the private_key_jwt key and its algorithm', () => {
  it('an RSA key signs RS256, an EC P-256 key ES256; PKCS#1 comes out as PKCS#8', () => {
    expect(signingKey(pkcs8(rsa), undefined)).toEqual({ pem: pkcs8(rsa), alg: 'RS256' });
    expect(signingKey(pkcs8(ec), 'ES256')).toEqual({ pem: pkcs8(ec), alg: 'ES256' });
    expect(signingKey(rsa.export({ type: 'pkcs1', format: 'pem' }).toString(), 'RS256')).toEqual({
      pem: pkcs8(rsa),
      alg: 'RS256',
    });
  });
  it('says what does not fit', () => {
    expect(signingKey(pkcs8(rsa), 'ES256')).toEqual({
      error: 'signingAlgorithm ES256 does not fit this RSA key (it signs RS256)',
    });
    expect(signingKey(pkcs8(ec384), undefined)).toEqual({
      error: 'an EC secp384r1 key: private_key_jwt here signs with RS256 (an RSA key) or ES256 (an EC P-256 key)',
    });
    expect(signingKey('not a key', undefined)).toEqual({
      error: 'not a PEM private key (expected -----BEGIN PRIVATE KEY----- , an RSA or EC P-256 key)',
    });
  });
});

describe('loadConfig reads the oauth2 files', () => {
  /** Loads a config in `dir`: target a reads its client secret from the file `secret` there, b its key from `key`. */
  function loadWithFiles(dir: string, secret: string, key: string) {
    const path = join(dir, 'c.yaml');
    writeFileSync(
      path,
      `targets:
  a: { url: "https://gw", apiKeyHeader: x-litellm-api-key, oauth2: { clientId: a, clientSecretFile: "${join(dir, secret)}" } }
  b: { url: "https://gw", apiKeyHeader: x-litellm-api-key, oauth2: { clientId: b, privateKeyFile: "${join(dir, key)}" } }
`,
    );
    return loadConfig(path, {});
  }

  it('clientSecretFile becomes the secret, privateKeyFile the signing key', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'secret'), 'kc-secret-from-file\n');
    writeFileSync(join(dir, 'key.pem'), pkcs8(ec));
    const r = await loadWithFiles(dir, 'secret', 'key.pem');
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.config.targets.a!.oauth2!.clientSecret).toBe('kc-secret-from-file');
    expect(r.config.targets.b!.oauth2Key).toEqual({ pem: pkcs8(ec), alg: 'ES256' });
  });

  it('names the file that cannot be read or used', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.pem'), 'nope');
    const r = await loadWithFiles(dir, 'missing', 'bad.pem');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem)).toEqual([
      `targets.a.oauth2.clientSecretFile: cannot read ${join(dir, 'missing')}: no such file`,
      `targets.b.oauth2.privateKeyFile: ${join(dir, 'bad.pem')}: not a PEM private key (expected -----BEGIN PRIVATE KEY----- , an RSA or EC P-256 key)`,
    ]);
  });
});

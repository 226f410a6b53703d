import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  chownSync,
  existsSync,
  realpathSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { docker } from './docker.js';

/**
 * A local stand-in for the Dockerfile's `node:<lts>-slim` base, as no registry can be pulled from
 * here: `docker import` of a rootfs holding this machine's Node.js runtime (node, npm, the shared
 * libraries node links), a static busybox for /bin/sh, CA certificates and a `node` user (uid
 * 1000), as the official image has.
 */
export const NODE_BASE_IMAGE = `mcpwatch-test/node-base:${process.version.slice(1)}`;

export async function ensureNodeBaseImage(): Promise<string> {
  const have = await docker(['image', 'inspect', NODE_BASE_IMAGE], { allowFail: true });
  if (have.code === 0) return NODE_BASE_IMAGE;
  const root = mkdtempSync(join(tmpdir(), 'node-base-'));
  try {
    const node = realpathSync(process.execPath);
    const put = (src: string, dst = src): void => {
      mkdirSync(join(root, dirname(dst)), { recursive: true });
      cpSync(src, join(root, dst), { dereference: true, recursive: true });
    };
    put(node, '/usr/bin/node');
    // The shared libraries node links against (ldd lists them with their resolved paths).
    const ldd = execFileSync('ldd', [node], { encoding: 'utf8' });
    for (const m of ldd.matchAll(/(\/\S+\.so[^\s]*)/g)) put(m[1]!);
    const npmDir = dirname(
      dirname(realpathSync(execFileSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim())),
    );
    put(npmDir, '/usr/lib/node_modules/npm');
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/bin/npx'));
    put('/bin/busybox');
    const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const a of applets) if (!existsSync(join(root, 'bin', a))) symlinkSync('busybox', join(root, 'bin', a));
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    if (!existsSync(join(root, 'usr/bin/env'))) symlinkSync('../../bin/busybox', join(root, 'usr/bin/env'));
    put('/etc/ssl/certs/ca-certificates.crt');
    mkdirSync(join(root, 'tmp'), { recursive: true });
    chmodSync(join(root, 'tmp'), 0o1777);
    mkdirSync(join(root, 'home/node'), { recursive: true });
    chownSync(join(root, 'home/node'), 1000, 1000);
    writeFileSync(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n',
    );
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
    const tar = execFileSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 1024 * 1024 * 1024 });
    execFileSync(
      'docker',
      [
        'import',
        '--change',
        'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
        '--change',
        'CMD ["node"]',
        '-',
        NODE_BASE_IMAGE,
      ],
      { input: tar, stdio: ['pipe', 'ignore', 'inherit'], maxBuffer: 1024 * 1024 * 1024 },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return NODE_BASE_IMAGE;
}

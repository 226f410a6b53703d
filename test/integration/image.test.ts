import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { hash } from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REPO, tempDir, writeConfig } from '../support/agent-proc.js';
import { docker, ensureDocker, runContainer, uniqueName } from '../support/docker.js';
import { ensureNodeBaseImage } from '../support/node-image.js';
import { makeCa, makeCert } from '../support/test-certs.js';

// The Dockerfile built for real with the local Docker engine, on a base image made from this
// machine's Node.js runtime (no registry pull is possible here), then run until Docker says
// healthy, then made unhealthy.

const IMAGE = 'mcpwatch:test';

async function health(name: string): Promise<string> {
  return (await docker(['inspect', '-f', '{{.State.Health.Status}}', name])).stdout.trim();
}

async function waitHealth(name: string, want: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await health(name);
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  const logs = await docker(['logs', '--tail', '30', name], { allowFail: true });
  const inspect = await docker(['inspect', '-f', '{{json .State.Health}}', name], { allowFail: true });
  throw new Error(`container ${name} stayed ${last}, wanted ${want}\n${inspect.stdout}\n${logs.stdout}${logs.stderr}`);
}

describe('the Docker image', () => {
  const name = uniqueName('mcpwatch-image');
  const webName = uniqueName('mcpwatch-image-web');

  beforeAll(async () => {
    ensureDocker();
    const base = await ensureNodeBaseImage();
    // No BuildKit (the buildx plugin is not installed here): the classic builder, with the host
    // network so `npm ci` in the build stage reaches the npm registry.
    await docker(['build', '--network', 'host', '--build-arg', `NODE_IMAGE=${base}`, '-t', IMAGE, REPO], {
      timeoutMs: 600_000,
    }).catch((err: Error) => {
      throw new Error(`docker build failed: ${err.message}`);
    });
  }, 900_000);
  afterAll(async () => {
    await docker(['rm', '-f', name], { allowFail: true });
    await docker(['rm', '-f', webName], { allowFail: true });
    // The classic builder leaves its intermediate images behind.
    await docker(['image', 'prune', '-f'], { allowFail: true });
  });

  it('runs as a non-root user, with a healthcheck, OCI labels, and volumes for state', async () => {
    const cfg = JSON.parse((await docker(['image', 'inspect', IMAGE])).stdout)[0].Config;
    expect(cfg.User).toBe('node');
    expect(cfg.Healthcheck.Test).toEqual(['CMD', 'node', 'dist/healthcheck.js']);
    expect(cfg.Labels['org.opencontainers.image.title']).toBe('mcpwatch');
    expect(cfg.Labels['org.opencontainers.image.version']).toMatch(/^\d+\.\d+\.\d+/);
    expect(Object.keys(cfg.Volumes)).toEqual(['/var/lib/mcpwatch']);
    expect(Object.keys(cfg.ExposedPorts)).toEqual(['9464/tcp']);
    // The shipped Node flags (docs/performance.md): the young generation capped.
    expect(cfg.Entrypoint).toEqual(['node', '--max-semi-space-size=8', 'dist/bin.js']);
    // Production dependencies only.
    const ls = await docker(['run', '--rm', '--network', 'none', '--entrypoint', 'ls', IMAGE, 'node_modules']);
    expect(ls.stdout).toContain('fastify');
    expect(ls.stdout).not.toContain('vitest');
    expect(ls.stdout).not.toContain('typescript');
  });

  it('reports healthy when mcpwatch serves /health, and unhealthy when it stops answering', async () => {
    const port = await freePort();
    const dir = tempDir();
    // The image runs as uid 1000: the mounted config must be readable by it.
    chmodSync(dir, 0o755);
    writeConfig(
      dir,
      `listen: 127.0.0.1:${port}\nstateDir: /var/lib/mcpwatch\ntargets:\n  gw: { url: "http://127.0.0.1:9" }\nprobes:\n  - { name: gw, type: http, target: gw, every: 1m }\n`,
      'mcpwatch.yaml',
    );
    chmodSync(`${dir}/mcpwatch.yaml`, 0o644);
    await runContainer({
      name,
      image: IMAGE,
      network: 'host',
      env: { MCPWATCH_HEALTH_URL: `http://127.0.0.1:${port}/health` },
      extraArgs: [
        '-v',
        `${dir}:/etc/mcpwatch:ro`,
        // The Dockerfile's healthcheck command, checked more often than its 15 s so the test is quick.
        '--health-interval',
        '1s',
        '--health-timeout',
        '5s',
        '--health-retries',
        '2',
        '--health-start-period',
        '0s',
      ],
    });
    await waitHealth(name, 'healthy', 60_000);
    expect((await docker(['exec', name, 'id', '-u'])).stdout.trim()).toBe('1000');
    // The gateway is unreachable: a finding, not mcpwatch failing, so the container stays healthy.
    expect(await health(name)).toBe('healthy');

    // mcpwatch hangs (SIGSTOP): /health no longer answers, the healthcheck times out.
    await docker(['kill', '--signal', 'SIGSTOP', name]);
    await waitHealth(name, 'unhealthy', 60_000);
  }, 180_000);

  it('stays healthy with a web config: TLS, client certificates and basic auth, the healthcheck asking as it must', async () => {
    const port = await freePort();
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const ca = makeCa('mcpwatch image test CA', 2);
    const server = makeCert(ca, 'mcpwatch.test', 2);
    const client = makeCert(ca, 'healthcheck.test', 2, { client: true });
    const files: Record<string, string> = {
      'server.crt': server.certFile,
      'server.key': server.keyFile,
      'ca.pem': ca.certFile,
      'healthcheck.crt': client.certFile,
      'healthcheck.key': client.keyFile,
    };
    for (const [to, from] of Object.entries(files)) copyFileSync(from, join(dir, to));
    writeFileSync(join(dir, 'health-password'), 'image-test-password\n');
    writeFileSync(
      join(dir, 'web.yml'),
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.pem\n' +
        `  client_auth_type: RequireAndVerifyClientCert\nbasic_auth_users:\n  healthcheck: '${await hash('image-test-password', 10)}'\n`,
    );
    writeFileSync(
      join(dir, 'mcpwatch.yaml'),
      `listen: 127.0.0.1:${port}\nstateDir: /var/lib/mcpwatch\ntargets:\n  gw: { url: "http://127.0.0.1:9" }\nprobes:\n  - { name: gw, type: http, target: gw, every: 1m }\n`,
    );
    // The image runs as uid 1000: everything mounted readable by it (a real deployment gives the files to uid 1000).
    for (const f of [...Object.keys(files), 'health-password', 'web.yml', 'mcpwatch.yaml'])
      chmodSync(join(dir, f), 0o644);
    await runContainer({
      name: webName,
      image: IMAGE,
      network: 'host',
      env: {
        MCPWATCH_HEALTH_URL: `http://127.0.0.1:${port}/health`,
        // The agent and its healthcheck read the same web config.
        MCPWATCH_WEB_CONFIG_FILE: '/etc/mcpwatch/web.yml',
        MCPWATCH_HEALTH_USER: 'healthcheck',
        MCPWATCH_HEALTH_PASSWORD_FILE: '/etc/mcpwatch/health-password',
        MCPWATCH_HEALTH_CERT_FILE: '/etc/mcpwatch/healthcheck.crt',
        MCPWATCH_HEALTH_KEY_FILE: '/etc/mcpwatch/healthcheck.key',
      },
      extraArgs: [
        '-v',
        `${dir}:/etc/mcpwatch:ro`,
        '--health-interval',
        '1s',
        '--health-timeout',
        '5s',
        '--health-retries',
        '2',
        '--health-start-period',
        '0s',
      ],
    });
    await waitHealth(webName, 'healthy', 60_000);
    // It is HTTPS with client certificates and basic auth: without a client certificate, no answer at all.
    const status = (cert: boolean): Promise<number | string> =>
      new Promise((resolve) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/metrics',
            ca: ca.certPem,
            ...(cert && { cert: client.certPem, key: client.keyPem }),
            headers: { authorization: `Basic ${Buffer.from('healthcheck:image-test-password').toString('base64')}` },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', (err) => resolve(err.message));
        req.end();
      });
    expect(await status(true)).toBe(200);
    expect(await status(false)).not.toBe(200);
  }, 180_000);
});

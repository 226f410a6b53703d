import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO, runCli, tempDir } from './support/agent-proc.js';

// The compose stack cannot be brought up here (no registry for its images), but its files can be
// checked by the real parser: docker-compose v5.5.0, built once from the Go module proxy by
// scripts/ensure-compose.sh, runs `config` on a temp copy of each shipped compose file (with the
// secrets file made from its .example and dummy values for the variables it requires: nothing is
// written into the repository). Then what matters, on the model compose resolved and on the raw
// files: the services and the monitoring profile, PostgreSQL for mcp_postgres, mounts that exist,
// no secret in any shipped file, and an mcpwatch config that probes both MCP servers.

// ---------------------------------------------------------------------------------------------
// The shipped files.

interface RawService {
  image?: string;
  build?: unknown;
  profiles?: string[];
  volumes?: string[];
  secrets?: string[];
  environment?: Record<string, string>;
  env_file?: Array<string | { path: string; required?: boolean }> | string;
  depends_on?: string[] | Record<string, { condition?: string }>;
  group_add?: string[];
  container_name?: string;
  ports?: string[];
}
interface RawCompose {
  services: Record<string, RawService>;
  secrets: Record<string, unknown>;
  volumes: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every file under the repository, relative, without what is built, installed or generated. */
function repoFiles(dir = REPO): string[] {
  const skip = new Set(['node_modules', '.git', 'dist', 'data', 'coverage', '.tmp']);
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...repoFiles(p));
    else if (e.isFile()) out.push(relative(REPO, p));
  }
  return out.sort();
}

/**
 * A shipped compose file: named like one (compose.yaml, docker-compose.yml, docker-compose.*.yml,
 * compose.override.yaml …) or any YAML whose top level has a `services` map. Not test fixtures,
 * and not config/mcpwatch.compose.yaml, which is an mcpwatch config (no `services`).
 */
function isComposeFile(rel: string): boolean {
  if (!/\.ya?ml$/.test(rel) || rel.startsWith('test/') || rel.startsWith('bench/')) return false;
  if (/^(docker-)?compose([.-][^/]*)?\.ya?ml$/.test(basename(rel))) return true;
  try {
    const doc: unknown = parse(readFileSync(join(REPO, rel), 'utf8'));
    return isRecord(doc) && isRecord(doc.services);
  } catch {
    return false; // not YAML we can read (or several documents): not a compose file
  }
}

const FILES = repoFiles();
const COMPOSE_FILES = FILES.filter(isComposeFile);
const composeText = readFileSync(`${REPO}/docker-compose.yml`, 'utf8');
const compose = parse(composeText) as RawCompose;
const litellmYaml = readFileSync(`${REPO}/config/litellm.yaml`, 'utf8');
const mcpwatchYaml = readFileSync(`${REPO}/config/mcpwatch.compose.yaml`, 'utf8');

/** The env_file entries of a service, as paths relative to the compose file's folder. */
function envFiles(svc: RawService): Array<{ path: string; required: boolean }> {
  const list = svc.env_file === undefined ? [] : Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
  return list.map((e) =>
    typeof e === 'string' ? { path: e, required: true } : { path: e.path, required: e.required !== false },
  );
}

/** KEY=VALUE lines of an .env-style file. */
function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

/** The secrets files docker-compose.yml reads (each shipped only as FILE.example). */
const SECRET_FILES = [...new Set(Object.values(compose.services).flatMap((s) => envFiles(s).map((e) => e.path)))];
const PLACEHOLDER = 'change-me';

// ---------------------------------------------------------------------------------------------
// docker-compose itself.

let dockerCompose = '';
/** Temp folders this file made (compose copies, key files), removed at the end. */
const temps: string[] = [];
function temp(prefix?: string): string {
  const d = tempDir(prefix);
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** The variables a compose file requires (`${VAR:?…}` / `${VAR?…}`), each with a dummy value. */
function requiredVars(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)) {
    const name = m[1]!;
    env[name] = /KEY/.test(name) ? 'sk-dummy-not-a-key' : `dummy-${name.toLowerCase()}`;
  }
  return env;
}

interface Copy {
  dir: string;
  file: string;
  env: Record<string, string>;
}

/**
 * A temp copy of a compose file, with its env files beside it where they would be: the real one
 * if the repository has it (it never should: see the secrets test), else made from FILE.example.
 * `text` replaces the file's content (a broken copy); `withoutEnvFiles` leaves them out.
 */
function composeCopy(rel: string, opts: { text?: string; withoutEnvFiles?: boolean } = {}): Copy {
  const dir = temp('mcpwatch-compose-');
  const file = join(dir, rel);
  mkdirSync(dirname(file), { recursive: true });
  const text = opts.text ?? readFileSync(join(REPO, rel), 'utf8');
  writeFileSync(file, text);
  const raw = parse(text) as RawCompose;
  if (!opts.withoutEnvFiles) {
    for (const svc of Object.values(raw.services ?? {})) {
      for (const e of envFiles(svc)) {
        const src = join(REPO, dirname(rel), e.path);
        const dest = join(dirname(file), e.path);
        mkdirSync(dirname(dest), { recursive: true });
        if (existsSync(src)) copyFileSync(src, dest);
        else if (existsSync(`${src}.example`)) copyFileSync(`${src}.example`, dest);
      }
    }
  }
  // Nothing from this machine's environment: no .env (the copy has none), no COMPOSE_* variables.
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    DOCKER_CONFIG: join(dir, '.docker'),
    ...requiredVars(text),
  };
  return { dir, file, env };
}

function runCompose(
  c: Copy,
  args: string[],
  env: Record<string, string> = c.env,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(dockerCompose, ['-f', c.file, ...args], { cwd: c.dir, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What `docker-compose config --format json` resolved (all profiles unless `profiles` is given). */
interface Resolved {
  services: Record<
    string,
    {
      image?: string;
      environment?: Record<string, string | null>;
      depends_on?: Record<string, { condition: string; required: boolean }>;
      healthcheck?: { test?: string[] };
      volumes?: Array<{ type: string; source: string; target: string; read_only?: boolean }>;
      ports?: unknown[];
      container_name?: string;
      profiles?: string[];
    }
  >;
  volumes?: Record<string, unknown>;
}
function resolved(profiles: string[] = ['*']): Resolved {
  const c = composeCopy('docker-compose.yml');
  const r = runCompose(c, [...profiles.flatMap((p) => ['--profile', p]), 'config', '--format', 'json']);
  if (r.status !== 0) throw new Error(`docker-compose config failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Resolved;
}

beforeAll(() => {
  try {
    dockerCompose = execFileSync('bash', [join(REPO, 'scripts/ensure-compose.sh')], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // A cold build (module and dependencies from the proxy, then go build) took 150 s on this
      // 2-core machine under load; a cached binary answers at once.
      timeout: 290_000,
    }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(
      `scripts/ensure-compose.sh could not provide docker-compose: ${err.stderr?.trim() || err.message}`,
      { cause: e },
    );
  }
  expect(existsSync(dockerCompose), `ensure-compose.sh printed ${dockerCompose}`).toBe(true);
}, 300_000);

// ---------------------------------------------------------------------------------------------

describe('every shipped compose file passes the real docker-compose (v5.5.0) config', () => {
  it('finds the compose files: docker-compose.yml, and not mcpwatch’s own config/mcpwatch.compose.yaml', () => {
    expect(COMPOSE_FILES).toContain('docker-compose.yml');
    expect(COMPOSE_FILES).not.toContain('config/mcpwatch.compose.yaml');
  });

  it.each(COMPOSE_FILES)('%s: `config --quiet` accepts it, with every profile, and warns about nothing', (rel) => {
    const c = composeCopy(rel);
    for (const profiles of [[], ['--profile', '*']]) {
      const r = runCompose(c, [...profiles, 'config', '--quiet']);
      expect(r.stderr, `${rel} ${profiles.join(' ')}`).toBe('');
      expect(r.status, `${rel} ${profiles.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it('the parser is real: broken copies of docker-compose.yml are refused, each with its reason', () => {
    const broken: Array<[string, Copy, RegExp, Record<string, string>?]> = [
      [
        'a typo in a key',
        composeCopy('docker-compose.yml', { text: composeText.replace('      interval: 10s', '      intervall: 10s') }),
        /services\.postgres\.healthcheck additional properties 'intervall' not allowed/,
      ],
      [
        'a dependency on a service that does not exist',
        composeCopy('docker-compose.yml', { text: composeText.replace(/^ {6}postgres:$/m, '      postgresql:') }),
        /service "litellm" depends on undefined service "postgresql"/,
      ],
      [
        'the secrets file missing',
        composeCopy('docker-compose.yml', { withoutEnvFiles: true }),
        /env file .*postgres\.env not found/,
      ],
    ];
    const noKey = composeCopy('docker-compose.yml');
    const { LITELLM_MASTER_KEY: _unset, ...envWithoutKey } = noKey.env;
    broken.push([
      'LITELLM_MASTER_KEY unset',
      noKey,
      /required variable LITELLM_MASTER_KEY is missing a value/,
      envWithoutKey,
    ]);
    for (const [what, c, reason, env] of broken) {
      const r = runCompose(c, ['config', '--quiet'], env);
      expect(r.status, what).not.toBe(0);
      expect(r.stderr, what).toMatch(reason);
    }
  });
});

describe('docker-compose.yml', () => {
  it('runs mcpwatch beside litellm and PostgreSQL, with Prometheus and Grafana in the monitoring profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'litellm', 'mcpwatch', 'postgres', 'prometheus']);
    expect(compose.services.mcpwatch!.build).toBe('.');
    expect(compose.services.prometheus!.profiles).toEqual(['monitoring']);
    expect(compose.services.grafana!.profiles).toEqual(['monitoring']);
    for (const s of ['mcpwatch', 'litellm', 'postgres']) expect(compose.services[s]!.profiles, s).toBeUndefined();
    expect(Object.keys(resolved([]).services).sort()).toEqual(['litellm', 'mcpwatch', 'postgres']);
    expect(Object.keys(resolved().services).sort()).toEqual([
      'grafana',
      'litellm',
      'mcpwatch',
      'postgres',
      'prometheus',
    ]);
  });

  it('PostgreSQL: postgres:16, data on a named volume, healthy by pg_isready, no published port; litellm waits for it', () => {
    const r = resolved();
    const pg = r.services.postgres!;
    expect(pg.image).toMatch(/^postgres:16(\b|$)/);
    expect(pg.volumes).toEqual([
      expect.objectContaining({ type: 'volume', source: 'postgres-data', target: '/var/lib/postgresql/data' }),
    ]);
    expect(r.volumes).toHaveProperty('postgres-data');
    expect(pg.healthcheck?.test?.[0]).toBe('CMD-SHELL');
    expect(pg.healthcheck?.test?.join(' ')).toMatch(/\bpg_isready\b/);
    expect(pg.ports ?? []).toEqual([]);
    expect(r.services.litellm!.depends_on).toEqual({ postgres: { condition: 'service_healthy', required: true } });
    expect(r.services.mcpwatch!.depends_on).toHaveProperty('litellm');
    // stdio MCP servers (refused by newer releases without it).
    expect(r.services.litellm!.environment?.LITELLM_ENABLE_MCP_STDIO).toBe('true');
  });

  it('mounts the Docker socket read-only and takes the key and the /mcp token from secrets', () => {
    const m = compose.services.mcpwatch!;
    expect(m.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock:ro');
    expect(m.secrets).toEqual(['litellm_key', 'mcpwatch_token']);
    expect(compose.secrets).toEqual({
      litellm_key: { environment: 'LITELLM_MASTER_KEY' },
      mcpwatch_token: { environment: 'MCPWATCH_TOKEN' },
    });
    // mcpwatch reads the token from the secret's file, never from its environment.
    expect(mcpwatchYaml).toMatch(/^ {2}tokenFile: \$\{MCPWATCH_TOKEN_FILE:-\/run\/secrets\/mcpwatch_token\}/m);
    expect(compose.services.mcpwatch!.environment).not.toHaveProperty('MCPWATCH_TOKEN');
  });

  it('mounts only files that exist in the repository, and reads env files that ship as FILE.example', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('./')) expect(existsSync(`${REPO}/${src}`), `${name}: ${src}`).toBe(true);
        else if (!src.startsWith('/')) expect(compose.volumes, `${name}: named volume ${src}`).toHaveProperty(src);
      }
      for (const e of envFiles(svc))
        expect(existsSync(`${REPO}/${e.path}.example`), `${name}: env_file ${e.path} needs ${e.path}.example`).toBe(
          true,
        );
    }
    expect(SECRET_FILES).toEqual(['postgres.env']);
    expect(envFiles(compose.services.postgres!).map((e) => e.path)).toEqual(['postgres.env']);
    expect(envFiles(compose.services.litellm!).map((e) => e.path)).toEqual(['postgres.env']);
  });

  it('provisions the dashboard and the rules that exist', () => {
    const dash = JSON.parse(readFileSync(`${REPO}/config/grafana/dashboards/mcpwatch.json`, 'utf8')) as {
      uid: string;
      templating: { list: Array<{ name: string }> };
    };
    expect(dash.uid).toBe('mcpwatch');
    expect(dash.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'target', 'container']);
    const prom = parse(readFileSync(`${REPO}/config/prometheus/prometheus.yml`, 'utf8')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string }>;
    };
    expect(prom.scrape_configs.map((s) => s.job_name)).toEqual(['mcpwatch']);
    expect(prom.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  });
});

describe('secrets: none in any shipped file', () => {
  const shipped = [
    'docker-compose.yml',
    'config/litellm.yaml',
    'config/mcpwatch.compose.yaml',
    '.env.example',
    ...SECRET_FILES.map((f) => `${f}.example`),
    ...COMPOSE_FILES,
  ];

  it('no key, and no password other than the placeholder, in the compose stack’s files', () => {
    for (const f of new Set(shipped)) {
      const text = readFileSync(`${REPO}/${f}`, 'utf8');
      expect(text, f).not.toMatch(/sk-(?!change-me|dummy)[A-Za-z0-9_-]{6,}/);
      for (const m of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/([^\s:@/]+):([^\s@/]*)@/gi))
        expect(m[2], `${f}: ${m[0]}`).toBe(PLACEHOLDER);
    }
  });

  it('the compose file sets no secret inline: passwords and DATABASE_URI come from the env file, the key from .env', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(svc.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|KEY|DATABASE_UR[IL]/.test(k))
          expect(String(v), `${name}.environment.${k}`).toMatch(/^\$\{[A-Z_]+(:?[?-][^}]*)?\}$/);
      }
    }
  });

  it('the example secrets file holds placeholders that agree with the compose file', () => {
    const ex = readEnvFile(`${REPO}/postgres.env.example`);
    expect(Object.keys(ex).sort()).toEqual(['DATABASE_URI', 'POSTGRES_PASSWORD']);
    expect(ex.POSTGRES_PASSWORD).toBe(PLACEHOLDER);
    const url = new URL(ex.DATABASE_URI!);
    const pgEnv = compose.services.postgres!.environment!;
    expect(url.protocol).toBe('postgresql:');
    expect(decodeURIComponent(url.password)).toBe(ex.POSTGRES_PASSWORD);
    expect(url.username).toBe(pgEnv.POSTGRES_USER);
    expect(url.pathname).toBe(`/${pgEnv.POSTGRES_DB}`);
    expect(url.hostname).toBe('postgres'); // the compose service
    expect(url.port || '5432').toBe('5432');
  });

  it('the real secrets files are not in git', () => {
    const tracked = execFileSync('git', ['ls-files', '--', '.env', ...SECRET_FILES], {
      cwd: REPO,
      encoding: 'utf8',
    }).trim();
    expect(tracked).toBe('');
  });
});

// ---------------------------------------------------------------------------------------------

interface LiteLLMServer {
  transport?: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
}
const litellm = parse(litellmYaml) as {
  general_settings: Record<string, unknown>;
  mcp_servers: Record<string, LiteLLMServer>;
};

/** Commands recent LiteLLM releases run as stdio MCP servers without LITELLM_MCP_STDIO_EXTRA_COMMANDS. */
const STDIO_COMMANDS = ['npx', 'uvx', 'python', 'python3', 'node', 'docker', 'deno'];

describe('config/litellm.yaml', () => {
  it('declares the deployment’s two servers over stdio, with commands LiteLLM allows', () => {
    expect(Object.keys(litellm.mcp_servers).sort()).toEqual(['mcp_filesystem', 'mcp_postgres']);
    const extra = resolved().services.litellm!.environment?.LITELLM_MCP_STDIO_EXTRA_COMMANDS;
    expect(extra, 'no extra commands needed').toBeUndefined();
    for (const [name, s] of Object.entries(litellm.mcp_servers)) {
      expect(s.transport, name).toBe('stdio');
      expect(STDIO_COMMANDS, `${name}: command ${s.command}`).toContain(s.command);
    }
  });

  it('mcp_postgres: postgres-mcp from PyPI (pinned) in restricted mode, DATABASE_URI from the environment', () => {
    const pg = litellm.mcp_servers.mcp_postgres!;
    expect(pg.command).toBe('uvx');
    expect(pg.args).toContain('--access-mode=restricted');
    expect(pg.args).not.toContain('--access-mode=unrestricted');
    expect(pg.args?.some((a) => /^postgres-mcp==\d+\.\d+\.\d+$/.test(a))).toBe(true);
    expect(pg.env).toEqual({ DATABASE_URI: 'os.environ/DATABASE_URI' });
    // LiteLLM expands os.environ/ in mappings only, never in lists of strings.
    for (const a of pg.args ?? []) expect(a).not.toMatch(/os\.environ\/|postgres(ql)?:\/\//);
  });

  it('every os.environ/NAME it reads is set on the litellm service, and mcp_filesystem’s folder is mounted', () => {
    const svc = resolved().services.litellm!;
    // The values LiteLLM expands (in the parsed file: its comments mention os.environ/NAME too).
    const names: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string' && v.startsWith('os.environ/')) names.push(v.slice('os.environ/'.length));
      else if (Array.isArray(v)) v.forEach(walk);
      else if (isRecord(v)) Object.values(v).forEach(walk);
    };
    walk(litellm);
    expect(new Set(names)).toEqual(new Set(['LITELLM_MASTER_KEY', 'DATABASE_URI']));
    for (const n of names) expect(svc.environment?.[n], n).toBeTruthy();
    const folder = litellm.mcp_servers.mcp_filesystem!.args!.at(-1)!;
    expect(svc.volumes?.map((v) => v.target)).toContain(folder);
    expect(svc.volumes?.map((v) => v.target)).toContain('/app/config.yaml');
  });
});

// ---------------------------------------------------------------------------------------------

interface ProbeYaml {
  name: string;
  type: string;
  target: string;
  servers?: string[];
  tool?: string;
  arguments?: Record<string, unknown>;
  timeout?: string;
  expect?: { tools?: string[]; contains?: string; isError?: boolean; serversPresent?: boolean };
}
const mcpwatch = parse(mcpwatchYaml) as {
  targets: Record<string, { url: string }>;
  probes: ProbeYaml[];
  logs: { containers: Array<{ name: string }> };
};
const targetProbes = mcpwatch.probes.filter((p) => p.target === 'litellm');

function seconds(d: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(d ?? '');
  if (!m) throw new Error(`not a simple duration: ${d}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
}

describe('config/mcpwatch.compose.yaml', () => {
  it('passes `mcpwatch check-config` (the built CLI), with a key file in place of the compose secret', async () => {
    const dir = temp();
    const keyFile = join(dir, 'litellm_key');
    writeFileSync(keyFile, 'sk-dummy-not-a-key\n');
    const tokenFile = join(dir, 'mcpwatch_token');
    writeFileSync(tokenFile, 'dummy-token\n');
    const ok = await runCli(['check-config', '--config', 'config/mcpwatch.compose.yaml'], {
      env: { LITELLM_KEY_FILE: keyFile, MCPWATCH_TOKEN_FILE: tokenFile },
    });
    expect(ok.stdout + ok.stderr).not.toMatch(/warning:/);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^config\/mcpwatch\.compose\.yaml: OK \(2 targets, \d+ probes, 1 containers\)$/m);
    // And it does check: without the key file the same config is refused, naming the path.
    const missing = join(dir, 'no-such-key');
    const bad = await runCli(['check-config', '--config', 'config/mcpwatch.compose.yaml'], {
      env: { LITELLM_KEY_FILE: missing, MCPWATCH_TOKEN_FILE: tokenFile },
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`targets.litellm.apiKeyFile: cannot read ${missing}`);
    // An empty token (MCPWATCH_TOKEN left empty in .env) is refused: /mcp is published on 0.0.0.0.
    const empty = join(dir, 'empty-token');
    writeFileSync(empty, '');
    const open = await runCli(['check-config', '--config', 'config/mcpwatch.compose.yaml'], {
      env: { LITELLM_KEY_FILE: keyFile, MCPWATCH_TOKEN_FILE: empty },
    });
    expect(open.code).toBe(1);
    expect(open.stdout).toContain(`mcpServer.tokenFile: ${empty} is empty: put the token in it`);
  });

  it('watches the litellm service of the compose file, by its service name and container name', () => {
    const svc = compose.services.litellm!;
    expect(mcpwatch.targets.litellm!.url).toBe('${LITELLM_URL:-http://litellm:4000}');
    expect(compose.services.mcpwatch!.environment?.LITELLM_URL).toBe('http://litellm:4000');
    expect(svc.ports).toContain('4000:4000');
    expect(mcpwatch.logs.containers.map((c) => c.name)).toEqual([svc.container_name]);
  });

  it('one catalog of both servers, each with its own status, with time for postgres-mcp to answer with its database down', () => {
    const cats = targetProbes.filter((p) => p.type === 'mcp_catalog');
    expect(cats).toHaveLength(1);
    const cat = cats[0]!;
    expect(cat.servers).toEqual(['mcp_postgres', 'mcp_filesystem']);
    expect(cat.expect?.serversPresent ?? true).toBe(true);
    for (const s of cat.servers!)
      expect(
        cat.expect?.tools?.some((t) => t.startsWith(`${s}-`)),
        `an expected tool of ${s}`,
      ).toBe(true);
    // The gateway takes 30-45 s to list when postgres-mcp's database is down.
    expect(seconds(cat.timeout)).toBeGreaterThanOrEqual(50);
  });

  it('a read-only call on each server, and the auth guard', () => {
    const calls = Object.fromEntries(targetProbes.filter((p) => p.type === 'mcp_call').map((p) => [p.tool, p]));
    const pg = calls['mcp_postgres-execute_sql'];
    expect(pg, 'a call of mcp_postgres-execute_sql').toBeDefined();
    expect(pg!.servers).toEqual(['mcp_postgres']);
    expect(pg!.arguments).toEqual({ sql: 'SELECT 1' });
    expect(seconds(pg!.timeout)).toBeGreaterThanOrEqual(50);
    // postgres-mcp answers a failed query as text with isError false: the check must be on the result.
    expect(pg!.expect?.contains).toBeTruthy();
    const fs = calls['mcp_filesystem-list_allowed_directories'];
    expect(fs, 'a call of mcp_filesystem-list_allowed_directories').toBeDefined();
    expect(fs!.servers).toEqual(['mcp_filesystem']);
    expect(targetProbes.filter((p) => p.type === 'auth_guard').map((p) => p.name)).toEqual(['litellm-auth-guard']);
  });

  it('names only servers config/litellm.yaml declares, and tools of the servers it selects', () => {
    for (const p of targetProbes) {
      for (const s of p.servers ?? []) expect(Object.keys(litellm.mcp_servers), `${p.name}: ${s}`).toContain(s);
      const tools = [...(p.tool ? [p.tool] : []), ...(p.expect?.tools ?? [])];
      for (const t of tools)
        expect(
          p.servers?.some((s) => t.startsWith(`${s}-`)),
          `${p.name}: ${t}`,
        ).toBe(true);
    }
  });
});

describe("Open WebUI's env file as Compose's env_file reads it (config/clients/openwebui.env)", () => {
  // mcpwatch reads an Open WebUI env file as Compose does: ${VAR} replaced unless the value is single-quoted.
  // The real docker-compose is the judge: what it gives the container is what Open WebUI sends.
  const KEY = 'sk-owui-0123456789abcdef';
  const envOf = (envText: string): Record<string, string> => {
    const dir = temp('mcpwatch-owui-');
    writeFileSync(join(dir, 'owui.env'), envText);
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  owui:\n    image: open-webui\n    env_file: owui.env\n');
    const c: Copy = {
      dir,
      file: join(dir, 'compose.yaml'),
      env: { PATH: process.env.PATH ?? '', LITELLM_OPENWEBUI_KEY: KEY },
    };
    const r = runCompose(c, ['config', '--format', 'json']);
    if (r.status !== 0) throw new Error(`docker-compose config failed (${r.status}): ${r.stderr}`);
    return (JSON.parse(r.stdout) as { services: { owui: { environment: Record<string, string> } } }).services.owui
      .environment;
  };
  const shipped = readFileSync(join(REPO, 'config/clients/openwebui.env'), 'utf8');

  it('the shipped file: Compose replaces the key, and mcpwatch resolves it to the same Authorization', async () => {
    const { readOpenWebUiEnv } = await import('../src/clients/openwebui.js');
    const { resolveValue } = await import('../src/clients/checks.js');
    const sent = JSON.parse(envOf(shipped).TOOL_SERVER_CONNECTIONS!) as Array<{ key: string }>;
    expect(sent[0]!.key).toBe(KEY);
    const entry = readOpenWebUiEnv('openwebui.env', shipped)!.entries[0]!;
    const auth = entry.headers.find((h) => h.name === 'Authorization')!;
    expect(resolveValue(auth.value, 'openwebui', { LITELLM_OPENWEBUI_KEY: KEY }).value).toBe(`Bearer ${KEY}`);
  });

  it('single-quoted: Compose keeps the placeholder, and mcpwatch says literal_placeholder', async () => {
    const quoted = shipped.replace(/^TOOL_SERVER_CONNECTIONS=(.*)$/m, "TOOL_SERVER_CONNECTIONS='$1'");
    expect(quoted).not.toBe(shipped);
    const sent = JSON.parse(envOf(quoted).TOOL_SERVER_CONNECTIONS!.replaceAll('$$', '$')) as Array<{ key: string }>;
    expect(sent[0]!.key).toBe('${LITELLM_OPENWEBUI_KEY}');
    const { readOpenWebUiEnv } = await import('../src/clients/openwebui.js');
    expect(readOpenWebUiEnv('openwebui.env', quoted)!.entries[0]!.ignored.map((i) => i.code)).toEqual([
      'literal_placeholder',
    ]);
  });
});

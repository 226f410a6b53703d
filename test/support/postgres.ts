import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, killAndWait, runScript, spawnProc, type Proc } from './proc.js';

/**
 * A real PostgreSQL for integration tests: a throwaway cluster made with Debian's `postgresql`
 * binaries (scripts/ensure-postgres.sh installs them when missing) in a temp folder, on a free
 * loopback port, run as the `postgres` system user when the tests run as root (PostgreSQL refuses
 * root). Its postmaster is a child of the test (spawned with proc.ts, in its own process group),
 * so a crashed test worker does not leave it behind. And the real upstream MCP server on top of
 * it: crystaldba's Postgres MCP Pro (`postgres-mcp`, venv made by scripts/ensure-postgres-mcp.sh).
 * Never skips: when something is missing or fails it throws an Error that says what and how to fix it.
 */

const run = promisify(execFile);

/** The test database, its owner and the known table (fake, test-only credentials). */
export const PG_DATABASE = 'mcpwatch_test';
export const PG_USER = 'mcpwatch';
export const PG_PASSWORD = 'mcpwatch-test-password';
export const PG_TABLE = 'probe_items';
/** The one row of PG_TABLE: `SELECT id, name FROM probe_items` → [{ id: 1, name: 'hello from postgres' }]. */
export const PG_ROW = { id: 1, name: 'hello from postgres' } as const;

export interface Postgres {
  /** `postgresql://mcpwatch:…@127.0.0.1:PORT/mcpwatch_test` (password auth over TCP). */
  url: string;
  port: number;
  /** The temp folder: data/ (the cluster), the unix socket, postgres.log. */
  dir: string;
  dataDir: string;
  /** Folder of the unix socket (`psql -h socketDir -p port -U postgres` connects as superuser, no password). */
  socketDir: string;
  database: string;
  user: string;
  password: string;
  /** /usr/lib/postgresql/<major>/bin. */
  binDir: string;
  /** Whether the server is running now. */
  readonly running: boolean;
  /** The current postmaster process (a new one after each start()); undefined while stopped. */
  readonly proc: Proc | undefined;
  /** What the server logged (all its runs so far). */
  logs(): string;
  /** Runs SQL as the superuser over the unix socket, returns psql's unaligned output; throws on an error. */
  psql(sql: string, database?: string): Promise<string>;
  /**
   * Fast shutdown (SIGINT: open sessions are ended, as `docker stop` does to the official image); resolves once it has
   * exited.
   */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server (when running) and removes `dir`. Idempotent. */
  cleanup(): Promise<void>;
}

export interface StartPostgresOptions {
  /** How long start() waits for the server to accept connections (default 30 s). */
  readyTimeoutMs?: number;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

let binDirCache: string | undefined;

/** Debian's PostgreSQL bin folder, installing the package first when needed (scripts/ensure-postgres.sh). */
export function postgresBinDir(): string {
  binDirCache ??= runScript('ensure-postgres.sh', [], 600_000);
  if (!binDirCache) throw new Error('scripts/ensure-postgres.sh printed no bin folder');
  return binDirCache;
}

/**
 * Path of the `postgres-mcp` executable, building its venv first when needed
 * (scripts/ensure-postgres-mcp.sh, cached in ${MCPWATCH_CACHE:-~/.cache/mcpwatch}; instant when present).
 * `spec` is `VERSION[@DATE]`, default the script's (0.3.0 with dependencies as of the deployment's LiteLLM).
 */
export function ensurePostgresMcp(spec?: string): string {
  const exe = runScript('ensure-postgres-mcp.sh', spec ? [spec] : [], 900_000);
  if (!exe.endsWith('/postgres-mcp'))
    throw new Error(`scripts/ensure-postgres-mcp.sh printed no executable path (got '${exe}')`);
  return exe;
}

/**
 * The `mcp_servers` entry (LiteLLM config, as `McpServerConfig` of litellm.ts) that runs
 * postgres-mcp over stdio on `pg`, read-only (`--access-mode=restricted`), as the deployment does.
 */
export function postgresMcpServer(
  pg: Pick<Postgres, 'url'>,
  exe = ensurePostgresMcp(),
): { transport: 'stdio'; command: string; args: string[]; env: Record<string, string> } {
  return { transport: 'stdio', command: exe, args: ['--access-mode=restricted'], env: { DATABASE_URI: pg.url } };
}

/** uid/gid to run the server as: the `postgres` system user when we are root, else ourselves. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) throw new Error(`odd ids ${uid}/${gid}`);
    return { uid, gid };
  } catch (e) {
    throw new Error(
      `running as root, PostgreSQL must run as the 'postgres' user, which cannot be used: ${(e as Error).message} (bash scripts/ensure-postgres.sh installs the package that creates it)`,
      { cause: e },
    );
  }
}

/**
 * Creates and starts a throwaway cluster: `initdb` in a temp folder, the server on a free port of
 * 127.0.0.1 (unix socket in the temp folder), a database `mcpwatch_test` owned by the password role
 * `mcpwatch`, holding table `probe_items` with one row (PG_ROW). Resolves once the URL accepts
 * connections. Call `cleanup()` when done (also on failure paths: it is what removes the folder).
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<Postgres> {
  const binDir = postgresBinDir();
  const bin = (t: string): string => join(binDir, t);
  const who = serverIdentity();
  const dir = mkdtempSync(join(tmpdir(), 'mcpwatch-pg-'));
  const dataDir = join(dir, 'data');
  const socketDir = dir;
  if (who) chownSync(dir, who.uid, who.gid);
  const env = { PATH: `${binDir}:/usr/bin:/bin`, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', HOME: dir, PGTZ: 'UTC' };
  const asServer = { env, cwd: dir, ...(who && { uid: who.uid, gid: who.gid }) };
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const runs: Proc[] = [];
  let current: Proc | undefined;
  let port = 0;

  const cleanupDir = (): void => rmSync(dir, { recursive: true, force: true });
  const logs = (): string =>
    runs
      .map(
        (p, i) =>
          `--- postgres run ${i + 1} (pid ${p.pid}) stderr:\n${p.stderr}${p.stdout ? `\n--- stdout:\n${p.stdout}` : ''}`,
      )
      .join('\n');

  // 1. initdb: superuser `postgres`, trust on the unix socket only, passwords over TCP.
  const pwfile = join(dir, 'pwfile');
  try {
    writeFileSync(pwfile, 'unused-superuser-password\n', { mode: 0o600 });
    if (who) chownSync(pwfile, who.uid, who.gid);
    await run(
      bin('initdb'),
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--pwfile',
        pwfile,
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '--no-sync',
      ],
      {
        ...asServer,
        timeout: 120_000,
      },
    );
  } catch (e) {
    cleanupDir();
    const err = e as Error & { stderr?: string; stdout?: string };
    throw new Error(
      `initdb failed in ${dataDir}${who ? ` (as uid ${who.uid})` : ''}: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`,
      { cause: e },
    );
  }
  rmSync(pwfile, { force: true });

  const psql = async (sql: string, database = 'postgres'): Promise<string> => {
    if (!current?.running) throw new Error(`psql: the PostgreSQL server on port ${port} is not running`);
    try {
      const { stdout } = await run(
        bin('psql'),
        [
          '-X',
          '-q',
          '-A',
          '-t',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          socketDir,
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          database,
          '-c',
          sql,
        ],
        {
          env,
          timeout: 30_000,
        },
      );
      return stdout;
    } catch (e) {
      const err = e as Error & { stderr?: string };
      throw new Error(`psql (port ${port}, db ${database}) failed on: ${sql}\n${err.stderr ?? err.message}`, {
        cause: e,
      });
    }
  };

  const start = async (): Promise<void> => {
    if (current?.running) throw new Error(`PostgreSQL in ${dataDir} is already running (port ${port})`);
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: socketDir,
      fsync: 'off',
      log_connections: 'off',
      ...opts.settings,
    };
    const args = [
      '-D',
      dataDir,
      '-p',
      String(port),
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ];
    const p = spawnProc(bin('postgres'), args, { ...asServer, name: `postgres :${port}` });
    current = p;
    runs.push(p);
    const started = Date.now();
    for (;;) {
      if (!p.running) {
        const code = await p.exited;
        throw new Error(
          `PostgreSQL exited (code ${code ?? p.child.signalCode}) before accepting connections on 127.0.0.1:${port}\n${p.tail()}`,
        );
      }
      let last: string;
      try {
        await run(bin('pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-d', 'postgres', '-t', '2'], {
          env,
          timeout: 5_000,
        });
        return;
      } catch (e) {
        // pg_isready: 1 = up but rejecting connections (still starting), 2 = no response.
        const code = (e as Error & { code?: number | string }).code;
        last = code === 1 ? 'rejecting connections (starting up)' : code === 2 ? 'no response' : (e as Error).message;
      }
      if (Date.now() - started > readyTimeoutMs) {
        await killAndWait(p, { signal: 'SIGINT', graceMs: 5_000 });
        throw new Error(
          `PostgreSQL did not accept connections on 127.0.0.1:${port} within ${Math.round(readyTimeoutMs / 1000)} s (last: ${last})\n${p.tail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async (): Promise<void> => {
    const p = current;
    if (!p) return;
    await killAndWait(p, { signal: 'SIGINT', graceMs: 15_000 });
  };

  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await stop();
    cleanupDir();
  };

  // 2. First start, on a free port (another process may take a port between freePort() and the
  // bind: then try another one, a few times).
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (e) {
      const bindRace = /could not bind|Address already in use|could not create any TCP\/IP sockets/.test(
        current?.stderr ?? '',
      );
      if (bindRace && attempt < 3) continue;
      await cleanup();
      throw e;
    }
  }

  // 3. The role, database and known row the tests (and postgres-mcp) use.
  try {
    await psql(`CREATE ROLE ${PG_USER} LOGIN PASSWORD '${PG_PASSWORD}'`);
    await psql(`CREATE DATABASE ${PG_DATABASE} OWNER ${PG_USER}`);
    await psql(
      `SET ROLE ${PG_USER}; CREATE TABLE ${PG_TABLE} (id integer PRIMARY KEY, name text NOT NULL); ` +
        `INSERT INTO ${PG_TABLE} VALUES (${PG_ROW.id}, '${PG_ROW.name}');`,
      PG_DATABASE,
    );
    const check = await psql(`SELECT name FROM ${PG_TABLE} WHERE id = ${PG_ROW.id}`, PG_DATABASE);
    if (check.trim() !== PG_ROW.name) throw new Error(`the known row reads back as '${check.trim()}'`);
  } catch (e) {
    const logText = logs();
    await cleanup();
    throw new Error(`setting up the test database failed: ${(e as Error).message}\n${logText.slice(-4_000)}`, {
      cause: e,
    });
  }

  const url = `postgresql://${PG_USER}:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${port}/${PG_DATABASE}`;
  return {
    url,
    get port() {
      return port;
    },
    dir,
    dataDir,
    socketDir,
    database: PG_DATABASE,
    user: PG_USER,
    password: PG_PASSWORD,
    binDir,
    get running() {
      return current?.running ?? false;
    },
    get proc() {
      return current?.running ? current : undefined;
    },
    logs,
    psql,
    stop,
    start,
    cleanup,
  };
}

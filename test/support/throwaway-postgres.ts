/**
 * A PostgreSQL server of a test's own, for tests that stop, restart or crash the server
 * (the shared cluster at 127.0.0.1:5432 is never touched): `initdb` in a temporary folder,
 * started with `pg_ctl` on a free loopback port with its own Unix socket directory, trust
 * authentication, user `postgres`, database `postgres`, no fsync.
 *
 * ```ts
 * await using pg = await startThrowawayPostgres();
 * new PgPool({ ...pg.config, max: 4 }, pg.Client);
 * await pg.restart();   // pg_ctl restart -m fast
 * ```
 *
 * initdb and postgres refuse to run as root: as root they run as the `postgres` user
 * (`runuser -u postgres --`) in a folder that user owns. The binaries come from
 * `LIDO_PG_BINDIR`, else `pg_config --bindir`, else the newest
 * `/usr/lib/postgresql/<version>/bin`, else PATH.
 *
 * `close()` (or leaving the `await using` block) stops the server and removes its folder,
 * bounded in time (pg_ctl stop, then SIGQUIT/SIGKILL to the postmaster); a process that
 * exits without that sends the postmaster SIGQUIT and removes the folder on 'exit'.
 */
import { execFile } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import type { PostgresConfig } from './services.js';

export interface ThrowawayPostgresOptions {
  /** Extra postgresql.conf settings, e.g. `{ max_connections: 10 }`. */
  settings?: Record<string, string | number | boolean>;
  /** Longest wait for each pg_ctl start / restart / stop, in seconds. Default 60. */
  waitSeconds?: number;
}

export interface ThrowawayPostgres extends AsyncDisposable {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `{ host, port, user: 'postgres', password: '', database: 'postgres', connectionString }`. */
  readonly config: PostgresConfig;
  /** The folder holding the data directory, the socket and the server log. */
  readonly dir: string;
  /** The Unix socket directory (`<dir>/.s.PGSQL.<port>`). */
  readonly socketDir: string;
  /** The end of the server log (for failure messages). */
  log(): string;
  /** `pg_ctl restart -m <mode>` (default fast), waiting until it accepts connections again. */
  restart(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl stop -m <mode>` (default fast): connections refused from now on. */
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl start` again after stop(). */
  start(): Promise<void>;
  /** Stops the server (whatever it takes) and removes its folder; idempotent. */
  close(): Promise<void>;
}

interface Run {
  ok: boolean;
  out: string;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: `${stdout}${stderr}${err && !stderr ? err.message : ''}`.trim() }),
    );
  });
}

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The folder holding initdb and pg_ctl, or null; LIDO_PG_BINDIR, when set, is the only one tried. */
async function findBinDir(): Promise<string | null> {
  const has = (dir: string) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'pg_ctl'));
  const wanted = process.env.LIDO_PG_BINDIR;
  if (wanted) {
    if (has(wanted)) return wanted;
    throw new Error(`LIDO_PG_BINDIR: expected a folder holding initdb and pg_ctl, got ${JSON.stringify(wanted)}`);
  }
  const candidates: string[] = [];
  const fromConfig = await run('pg_config', ['--bindir'], 10_000);
  if (fromConfig.ok) candidates.push(fromConfig.out);
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // no Debian layout
  }
  candidates.push(...(process.env.PATH ?? '').split(':').filter(Boolean));
  return candidates.find(has) ?? null;
}

/** Running as root: the user (uid, gid) that runs the server instead. */
async function serverUser(): Promise<{ name: string; uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const name = process.env.LIDO_PG_USER || 'postgres';
  const [uid, gid] = await Promise.all([run('id', ['-u', name], 10_000), run('id', ['-g', name], 10_000)]);
  if (!uid.ok || !gid.ok) {
    throw new Error(`running as root, and there is no user ${JSON.stringify(name)} to run PostgreSQL as: ${uid.out}`);
  }
  return { name, uid: Number(uid.out), gid: Number(gid.out) };
}

const live = new Map<string, () => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const kill of live.values()) kill();
  });
}

/** The postmaster's pid from `postmaster.pid`, or null when it is not running. */
function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** A postgresql.conf value: on/off, a number, or a quoted string. */
const confValue = (v: string | number | boolean): string =>
  typeof v === 'boolean' ? (v ? 'on' : 'off') : typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** initdb + pg_ctl start; throws (with the tools' output and the server log) if it cannot. */
export async function startThrowawayPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const waitSeconds = options.waitSeconds ?? 60;
  const bin = await findBinDir();
  if (bin === null) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql, or set LIDO_PG_BINDIR to their folder',
    );
  }
  const user = await serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'lido-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  let port = 0;
  let closed = false;
  installExitHook();

  const as = (tool: string, args: string[], timeoutMs: number): Promise<Run> =>
    user === null
      ? run(join(bin, tool), args, timeoutMs)
      : run('runuser', ['-u', user.name, '--', join(bin, tool), ...args], timeoutMs);
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '(no server log)';
    }
  };
  const pgCtl = async (action: string, args: string[]): Promise<void> => {
    if (closed) throw new Error(`throwaway PostgreSQL: pg_ctl ${action} after close()`);
    const r = await as(
      'pg_ctl',
      [action, '-D', dataDir, '-l', logFile, '-w', '-t', String(waitSeconds), ...args],
      (waitSeconds + 30) * 1_000,
    );
    if (!r.ok) throw new Error(`pg_ctl ${action} ${args.join(' ')}: ${r.out}\nserver log:\n${log()}`);
  };
  /** Stops the postmaster whatever it takes (pg_ctl, then SIGQUIT, then SIGKILL), bounded. */
  const halt = async (): Promise<void> => {
    if (postmasterPid(dataDir) === null) return;
    await as('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '20'], 40_000);
    for (const signal of ['SIGQUIT', 'SIGKILL'] as const) {
      const pid = postmasterPid(dataDir);
      if (pid === null) return;
      try {
        process.kill(pid, signal);
      } catch {
        return; // gone meanwhile
      }
      const until = Date.now() + 10_000;
      while (postmasterPid(dataDir) !== null && Date.now() < until) await sleep(50);
    }
  };
  const remove = () => rmSync(dir, { recursive: true, force: true });
  live.set(dir, () => {
    const pid = postmasterPid(dataDir);
    if (pid !== null) process.kill(pid, 'SIGQUIT');
    remove();
  });

  try {
    if (user !== null) chownSync(dir, user.uid, user.gid);
    const init = await as(
      'initdb',
      ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'],
      120_000,
    );
    if (!init.ok) throw new Error(`initdb: ${init.out}`);
    const settings: Record<string, string | number | boolean> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: dir,
      fsync: false,
      synchronous_commit: false,
      full_page_writes: false,
      max_connections: 20,
      shared_buffers: '16MB',
      ...options.settings,
    };
    const conf = (entries: Record<string, string | number | boolean>) =>
      appendFile(
        join(dataDir, 'postgresql.conf'),
        Object.entries(entries)
          .map(([k, v]) => `${k} = ${confValue(v)}\n`)
          .join(''),
      );
    await conf(settings);
    // A free port may be taken between the probe and the bind: try a few (the last `port` line wins).
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      await conf({ port });
      try {
        await pgCtl('start', []);
        break;
      } catch (error) {
        if (attempt >= 3 || !/could not bind|address already in use|could not create any TCP/i.test(log())) throw error;
      }
    }
  } catch (error) {
    await halt();
    remove();
    live.delete(dir);
    throw error;
  }

  const config = (): PostgresConfig => ({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: '',
    database: 'postgres',
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
  });
  const server: ThrowawayPostgres = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get config() {
      return config();
    },
    dir,
    socketDir: dir,
    log,
    restart: (mode = 'fast') => pgCtl('restart', ['-m', mode]),
    stop: (mode = 'fast') => pgCtl('stop', ['-m', mode]),
    start: () => pgCtl('start', []),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await halt();
      } finally {
        remove();
        live.delete(dir);
      }
    },
    [Symbol.asyncDispose]: () => server.close(),
  };
  return server;
}

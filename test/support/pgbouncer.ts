/**
 * A throwaway PgBouncer in transaction mode in front of the test database, on a free
 * loopback port, for the PgBouncer integration tests. PgBouncer refuses to run as root:
 * as root it is started as the `postgres` user (`runuser`), with its config, log and pid
 * file in a folder that user owns. Stopped and reaped by `stop()`.
 *
 * Two databases: `<db>` (pool_size 2) and `<db>_one` (pool_size 1, every client on one
 * server connection: what leaks between clients shows deterministically).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { type PostgresConfig, tcpProbe } from './services.js';

/** Where the pgbouncer binary is, or null. */
export function pgbouncerPath(): string | null {
  for (const p of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer']) {
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return p;
    } catch {}
  }
  return null;
}

export class PgBouncer {
  proc: ChildProcess | null = null;
  port = 0;
  #dir = '';
  #log = '';

  constructor(readonly pg: PostgresConfig) {}

  /** Connection settings of database `db` through the bouncer. */
  config(db = this.pg.database): { host: string; port: number; user: string; password: string; database: string } {
    return { host: '127.0.0.1', port: this.port, user: this.pg.user, password: this.pg.password, database: db };
  }

  async start(): Promise<void> {
    const bin = pgbouncerPath();
    if (bin === null)
      throw new Error('pgbouncer is not installed (Debian: apt-get install pgbouncer; .ci/run does it)');
    this.port = await freePort();
    const dir = (this.#dir = mkdtempSync(join(tmpdir(), 'lido-pgbouncer-')));
    this.#log = join(dir, 'pgbouncer.log');
    const { host, port, database, user } = this.pg;
    const server = `host=${host} port=${port} dbname=${database}`;
    writeFileSync(
      join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `${database} = ${server} pool_size=2`,
        `${database}_one = ${server} pool_size=1`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${this.port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        'pool_mode = transaction',
        'max_client_conn = 200',
        `logfile = ${this.#log}`,
        `pidfile = ${join(dir, 'pgbouncer.pid')}`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`);
    const root = process.getuid?.() === 0;
    if (root) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      for (const f of ['', 'pgbouncer.ini', 'userlist.txt']) chownSync(join(dir, f), uid, gid);
    }
    const ini = join(dir, 'pgbouncer.ini');
    this.proc = root
      ? spawn('runuser', ['-u', 'postgres', '--', bin, ini], { stdio: 'ignore' })
      : spawn(bin, [ini], { stdio: 'ignore' });
    const until = Date.now() + 10_000;
    while (!(await tcpProbe('127.0.0.1', this.port, 200))) {
      if (this.proc.exitCode !== null) throw new Error(`pgbouncer exited with ${this.proc.exitCode}`);
      if (Date.now() > until) throw new Error(`pgbouncer did not listen on ${this.port} within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (proc !== null && proc.exitCode === null && proc.signalCode === null) {
      // PgBouncer's own pid (under runuser, proc is runuser's): signalled directly, so
      // that it never outlives the test.
      let pid = 0;
      try {
        pid = Number(readFileSync(join(this.#dir, 'pgbouncer.pid'), 'utf8').trim());
      } catch {}
      const kill = (signal: NodeJS.Signals): void => {
        for (const p of [pid, proc.pid ?? 0])
          if (p > 0)
            try {
              process.kill(p, signal);
            } catch {}
      };
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        kill('SIGTERM');
        setTimeout(() => kill('SIGKILL'), 3_000).unref();
      });
    }
    if (this.#dir !== '') rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = '';
  }
}

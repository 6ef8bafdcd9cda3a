/**
 * Faults against the real PostgreSQL: every pool connection killed mid-load, the
 * server restarted mid-load, the connection limit reached, a server that accepts TCP
 * and never answers. The process must never see an unhandled error.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { PgPool } from '../../src/adapters/pg/index.js';
import { describeWithPostgres, pgQuery, tcpProbe, type PostgresConfig } from '../support/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Errors the process did not handle, collected instead of crashing the run. */
function trapUnhandled() {
  const seen: unknown[] = [];
  const onRejection = (e: unknown) => seen.push(e);
  const onException = (e: unknown) => seen.push(e);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    seen,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

interface Load {
  ok: number;
  errors: Error[];
  /** performance.now() of every success. */
  okAt: number[];
  stop(): Promise<void>;
}

/** `concurrency` loops of `pool.query(sql)` until stopped. */
function load(pool: PgPool<pg.Client>, concurrency: number, sql = 'SELECT pg_sleep(0.005) AS x'): Load {
  let running = true;
  const state: Load = { ok: 0, errors: [], okAt: [], stop: async () => {} };
  const worker = async () => {
    while (running) {
      try {
        await pool.query(sql);
        state.ok++;
        state.okAt.push(performance.now());
      } catch (e) {
        state.errors.push(e as Error);
        await sleep(5);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  state.stop = async () => {
    running = false;
    await Promise.all(workers);
  };
  return state;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve(stdout),
    );
  });
}

/** The local cluster serving `port` (pg_lsclusters), or null when it is not ours to restart. */
async function localCluster(cfg: PostgresConfig): Promise<{ version: string; name: string } | null> {
  if (!['127.0.0.1', 'localhost', '::1'].includes(cfg.host) || process.env.DATABASE_URL) return null;
  try {
    const out = await run('pg_lsclusters', ['-h'], 10_000);
    for (const line of out.trim().split('\n')) {
      const [version, name, port] = line.trim().split(/\s+/);
      if (Number(port) === cfg.port && version && name) return { version, name };
    }
  } catch {
    // no postgresql-common here
  }
  return null;
}

const haveLocalCluster = await (async () => {
  try {
    await run('pg_lsclusters', ['-h'], 10_000);
    return true;
  } catch {
    return false;
  }
})();

describeWithPostgres('PgPool under faults', (cfg: PostgresConfig) => {
  const conn = { host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database };
  let trap: ReturnType<typeof trapUnhandled>;
  let pool: PgPool<pg.Client> | undefined;
  beforeEach(() => {
    trap = trapUnhandled();
  });
  afterEach(async () => {
    if (pool && !pool.ending) await pool.close({ timeoutMs: 5_000 });
    pool = undefined;
    trap.stop();
    expect(trap.seen).toEqual([]);
  });

  it('pg_terminate_backend of every pool connection mid-load: in-flight queries reject clearly, new ones succeed within 1 s', async () => {
    pool = new PgPool({ ...conn, max: 8, application_name: 'lido-fault-terminate' }, pg.Client);
    const poolErrors: Error[] = [];
    pool.on('error', (e) => poolErrors.push(e));
    const l = load(pool, 16, 'SELECT pg_sleep(0.02) AS x');
    await sleep(300);
    expect(pool.totalCount).toBe(8);
    const killed = await pgQuery<{ n: number }>(
      "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'lido-fault-terminate' AND pid <> pg_backend_pid()",
      [],
      cfg,
    );
    const killedAt = performance.now();
    expect(killed[0]!.n).toBe(8);
    await sleep(1_000);
    await l.stop();

    // in-flight queries rejected with a clear error
    expect(l.errors.length).toBeGreaterThan(0);
    for (const e of l.errors) expect(e.message).toMatch(/terminat|not queryable/i);
    // service resumed within one second of the kill
    const firstOkAfter = l.okAt.find((t) => t > killedAt);
    expect(firstOkAfter).toBeDefined();
    expect(firstOkAfter! - killedAt).toBeLessThan(1_000);
    // and now every query succeeds, on fresh connections
    const results = await Promise.all(Array.from({ length: 20 }, () => pool!.query('SELECT 1 AS one')));
    expect(results.every((r) => r.rows[0].one === 1)).toBe(true);
    const live = await pgQuery<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'lido-fault-terminate'",
      [],
      cfg,
    );
    expect(live[0]!.n).toBe(pool.totalCount);
  });

  it.skipIf(!haveLocalCluster)(
    'PostgreSQL restarted during load (and left running): the pool recovers by itself',
    async () => {
      const cluster = await localCluster(cfg);
      if (cluster === null) {
        console.warn(`!!! no local cluster serves ${cfg.host}:${cfg.port}: restart test not run`);
        return;
      }
      pool = new PgPool({ ...conn, max: 6, connectionTimeoutMillis: 5_000 }, pg.Client);
      pool.on('error', () => {}); // idle clients die with the server: expected
      const l = load(pool, 12);
      try {
        await sleep(300);
        const before = l.ok;
        expect(before).toBeGreaterThan(0);
        const restartedAt = performance.now();
        try {
          await run(
            'pg_ctlcluster',
            ['--skip-systemctl-redirect', cluster.version, cluster.name, 'restart', '-m', 'fast'],
            60_000,
          );
        } catch (e) {
          if (/must run this program as|permission denied/i.test((e as Error).message)) {
            console.warn(`!!! not allowed to restart cluster ${cluster.version}/${cluster.name}: restart test not run`);
            return;
          }
          throw e;
        }
        // recovered: queries succeed again without any help
        const deadline = performance.now() + 15_000;
        let recovered = false;
        while (performance.now() < deadline) {
          const okNow = l.okAt.filter((t) => t > restartedAt).length;
          if (okNow >= 50) {
            recovered = true;
            break;
          }
          await sleep(100);
        }
        await l.stop();
        expect(recovered).toBe(true);
        expect(l.errors.length).toBeGreaterThan(0); // the restart was felt
        const after = await Promise.all(Array.from({ length: 20 }, () => pool!.query('SELECT 1 AS one')));
        expect(after).toHaveLength(20);
        expect(pool.health().status).not.toBe('down');
      } finally {
        await l.stop();
        // leave the server running whatever happened
        await run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start'], 60_000).catch(
          () => {},
        );
        const deadline = performance.now() + 30_000;
        while (!(await tcpProbe(cfg.host, cfg.port)) && performance.now() < deadline) await sleep(200);
        for (;;) {
          try {
            await pgQuery('SELECT 1', [], cfg);
            break;
          } catch (e) {
            // biome-ignore lint/correctness/noUnsafeFinally: the restore must report a server it could not bring back
            if (performance.now() > deadline) throw e;
            await sleep(200);
          }
        }
      }
    },
    120_000,
  );

  describe_connectionLimit();

  function describe_connectionLimit() {
    // Its own name: another checkout's run of this file on the same server must not drop or kill it.
    const ROLE = `lido_limited_${process.pid}`;
    beforeAll(async () => {
      await pgQuery(
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${ROLE} LOGIN CONNECTION LIMIT 2; END IF; END $$`,
        [],
        cfg,
      );
      await pgQuery(`GRANT CONNECT ON DATABASE "${cfg.database}" TO ${ROLE}`, [], cfg);
    });
    afterAll(async () => {
      await pgQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${ROLE}'`, [], cfg);
      await pgQuery(`DROP ROLE IF EXISTS ${ROLE}`, [], cfg).catch(() => {});
    });

    it("the server's connection limit reached while the pool has connections: capacity, not failure", async () => {
      // A role with CONNECTION LIMIT 2 stands in for max_connections (same refusal, no server change).
      pool = new PgPool({ ...conn, user: ROLE, max: 5, connectionTimeoutMillis: 1_500 }, pg.Client);
      const a = await pool.connect();
      const b = await pool.connect();
      // The server refuses a third (53300): the checkout waits for one of the pool's two.
      const third = pool.connect();
      await sleep(300);
      expect(pool.stats().serverRefusals).toBeGreaterThan(0);
      expect(pool.health().reasons.join('\n')).toMatch(/53300 too_many_connections/);
      a.release();
      const c = await third;
      await expect(c.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
      // Nobody gives one back: the wait ends at connectionTimeoutMillis, never in a hang.
      const t0 = performance.now();
      const err = await pool.connect().then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/timeout/);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(1_400);
      c.release();
      b.release();
      await expect(pool.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
    });
  }

  it('a server that accepts TCP and never answers: connectionTimeoutMillis holds', async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      s.resume(); // read (and ignore) the startup packet, never answer; lets us see the client hang up
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      pool = new PgPool({ host: '127.0.0.1', port, user: 'u', database: 'd', connectionTimeoutMillis: 300 }, pg.Client);
      for (const attempt of [() => pool!.connect(), () => pool!.query('SELECT 1')]) {
        const t0 = performance.now();
        const err = await (attempt() as Promise<unknown>).then(
          () => null,
          (e: Error) => e,
        );
        const took = performance.now() - t0;
        expect(err).not.toBeNull();
        expect(err!.message).toMatch(/timeout/);
        expect(took, err!.message).toBeGreaterThanOrEqual(290);
        expect(took).toBeLessThan(1_500);
      }
      // A connection attempt may outlive the caller that gave up (the pool keeps it for the
      // next caller) but never its own connectionTimeoutMillis: then the socket is dropped.
      const deadline = performance.now() + 1_000;
      while (sockets.size > 0 && performance.now() < deadline) await sleep(20);
      expect(sockets.size).toBe(0); // the half-open connections were dropped, not leaked
      const t0 = performance.now();
      await pool.end();
      expect(performance.now() - t0).toBeLessThan(1_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

/**
 * Faults against the real PostgreSQL: every pool connection killed mid-load, the
 * server restarted mid-load (a throwaway server of the test's own, see
 * test/support/throwaway-postgres.ts: the shared one is never restarted), the connection
 * limit reached, a server that accepts TCP and never answers. The process must never see
 * an unhandled error.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { PgPool } from '../../src/adapters/pg/index.js';
import { needs } from '../support/capability.js';
import { describeWithPostgres, pgQuery, type PostgresConfig } from '../support/services.js';
import { startThrowawayPostgres } from '../support/throwaway-postgres.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** This run's application_name: the terminate test kills exactly its own pool's connections, never another run's. */
const APP = `lido-fault-terminate-${process.pid}`;

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
    pool = new PgPool({ ...conn, max: 8, application_name: APP }, pg.Client);
    const poolErrors: Error[] = [];
    pool.on('error', (e) => poolErrors.push(e));
    const l = load(pool, 16, 'SELECT pg_sleep(0.02) AS x');
    await sleep(300);
    expect(pool.totalCount).toBe(8);
    const killed = await pgQuery<{ n: number }>(
      'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
      [APP],
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
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
      [APP],
      cfg,
    );
    expect(live[0]!.n).toBe(pool.totalCount);
  });

  it('PostgreSQL restarted during load (a throwaway server of its own): the pool recovers by itself', async (ctx) => {
    // pg_ctl restart -m fast on a server this test started: the shared cluster is never touched.
    await using server = await needs(ctx, 'a throwaway PostgreSQL server (initdb, pg_ctl)', () =>
      startThrowawayPostgres(),
    );
    const own = server.config;
    pool = new PgPool(
      {
        host: own.host,
        port: own.port,
        user: own.user,
        database: own.database,
        max: 6,
        connectionTimeoutMillis: 5_000,
      },
      pg.Client,
    );
    pool.on('error', () => {}); // idle clients die with the server: expected
    const l = load(pool, 12);
    try {
      const warm = performance.now() + 10_000;
      while (l.ok < 20 && performance.now() < warm) await sleep(50);
      expect(l.ok, `load on the throwaway server; errors: ${l.errors.slice(0, 3).join('; ')}`).toBeGreaterThanOrEqual(
        20,
      );
      const restartedAt = performance.now();
      await server.restart('fast');
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
      expect(recovered, `no recovery within 15 s of the restart; server log:\n${server.log()}`).toBe(true);
      expect(l.errors.length).toBeGreaterThan(0); // the restart was felt
      for (const e of l.errors)
        expect(e.message).toMatch(/terminat|shutting down|starting up|ECONNREFUSED|ECONNRESET|not queryable|timeout/i);
      const after = await Promise.all(Array.from({ length: 20 }, () => pool!.query('SELECT 1 AS one')));
      expect(after.every((r) => r.rows[0].one === 1)).toBe(true);
      expect(pool.health().status).not.toBe('down');
    } finally {
      await l.stop();
      await pool.close({ timeoutMs: 5_000 });
    }
  }, 120_000);

  describe_connectionLimit();

  function describe_connectionLimit() {
    // Its own name: another checkout's run of this file on the same server must not drop or kill it.
    const ROLE = `lido_fault_limit_${process.pid}`; // not fleet-server-limits' lido_limited_<pid>
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
      // The CONNECT grant depends on the role: revoked first, or DROP ROLE refuses and the role is left behind.
      await pgQuery(`REVOKE CONNECT ON DATABASE "${cfg.database}" FROM ${ROLE}`, [], cfg);
      await pgQuery(`DROP ROLE IF EXISTS ${ROLE}`, [], cfg);
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

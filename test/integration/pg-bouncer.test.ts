/**
 * PgPool through a real PgBouncer (Debian's package, 1.18 here) in transaction mode in
 * front of the test database: what works (queries, parameters, transactions, the
 * rollback on release, resetOnRelease) and what breaks because consecutive transactions
 * of one client may run on different server connections, and one server connection
 * serves many clients (named prepared statements, SET, LISTEN/NOTIFY, session advisory
 * locks, temp tables). The bouncer is the test's own (a free loopback port), stopped after.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgPool } from '../../src/adapters/pg/index.js';
import { PgBouncer } from '../support/pgbouncer.js';
import { describeWithPostgres, pgClient } from '../support/services.js';

describeWithPostgres('PgPool behind PgBouncer (transaction mode)', (postgres) => {
  const bouncer = new PgBouncer(postgres);
  const pools: PgPool[] = [];
  const pool = (db?: string, extra: Record<string, unknown> = {}): PgPool => {
    const p = new PgPool({ ...bouncer.config(db), max: 4, application_name: 'lido-bouncer-test', ...extra });
    pools.push(p);
    return p;
  };

  beforeAll(async () => {
    await bouncer.start();
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => {})));
    await bouncer.stop();
  });

  it('runs queries with parameters, many clients over few server connections', async () => {
    const p = pool(undefined, { max: 10 });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => p.query('SELECT $1::int * 2 AS n, pg_sleep(0.005)', [i])),
    );
    expect(results.map((r) => r.rows[0].n)).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    // Ten lido connections, at most two server connections behind them.
    const servers = await pgClient(postgres);
    try {
      const { rows } = await servers.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND usename = $2 AND application_name <> 'lido-bouncer-test' AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep(0.005)%'",
        [postgres.database, postgres.user],
      );
      expect(rows[0].n).toBeLessThanOrEqual(2);
    } finally {
      await servers.end();
    }
  });

  it('keeps a transaction on one server connection, and rolls back one left open at release', async () => {
    const p = pool();
    const table = `lido_bouncer_${process.pid}`;
    await p.query(`CREATE TABLE IF NOT EXISTS ${table} (x int)`);
    try {
      const c = await p.connect();
      await c.query('BEGIN');
      await c.query(`INSERT INTO ${table} VALUES (1)`);
      const inside = await c.query(`SELECT count(*)::int AS n FROM ${table}`);
      expect(inside.rows[0].n).toBe(1);
      await c.query('COMMIT');
      await c.query('BEGIN');
      await c.query(`INSERT INTO ${table} VALUES (2)`);
      c.release(); // open transaction: PgPool rolls it back (the bouncer's server connection is freed)
      const after = await p.query(`SELECT count(*)::int AS n FROM ${table}`);
      expect(after.rows[0].n).toBe(1);
    } finally {
      await p.query(`DROP TABLE IF EXISTS ${table}`);
    }
  });

  it("resetOnRelease: 'discard' works (DISCARD ALL runs on whichever server connection serves it)", async () => {
    const p = pool(undefined, { resetOnRelease: 'discard', max: 1 });
    for (let i = 0; i < 3; i++) {
      const c = await p.connect();
      expect((await c.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      c.release();
    }
    expect(p.totalCount).toBe(1);
  });

  it('named prepared statements fail clearly once a transaction lands on another server connection (PgBouncer < 1.21)', async () => {
    const a = new pg.Client(bouncer.config());
    const b = new pg.Client(bouncer.config());
    await Promise.all([a.connect(), b.connect()]);
    try {
      const named = { name: `lido_q_${process.pid}`, text: 'SELECT $1::int AS n', values: [7] };
      expect((await a.query(named)).rows[0].n).toBe(7);
      // b holds the server connection a just used; a's next transaction gets the other one.
      await b.query('BEGIN');
      await b.query('SELECT 1');
      const error = await a.query(named).then(
        () => null,
        (e: unknown) => e as { code?: string; message: string },
      );
      expect(error?.code).toBe('26000');
      expect(error?.message).toBe(`prepared statement "lido_q_${process.pid}" does not exist`);
      await b.query('ROLLBACK');
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('SET, temp tables and session advisory locks leak to the next client of the server connection', async () => {
    const one = `${postgres.database}_one`;
    const a = pool(one, { max: 1 });
    const b = pool(one, { max: 1 });
    // SET: a's setting is seen by b (same server connection, a different client). (PgBouncer
    // carries only client_encoding, DateStyle, TimeZone, standard_conforming_strings and
    // application_name per client.)
    await a.query('SET statement_timeout = 4321');
    expect((await b.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('4321ms');
    await a.query('RESET statement_timeout');
    // Temp tables: a's table exists for b.
    await a.query('CREATE TEMP TABLE lido_tmp (x int)');
    await a.query('INSERT INTO lido_tmp VALUES (1)');
    expect((await b.query('SELECT count(*)::int AS n FROM lido_tmp')).rows[0].n).toBe(1);
    await a.query('DROP TABLE lido_tmp');
    // Session advisory lock: b gets the lock a "holds" (the session is the same).
    const key = 4_242_000 + (process.pid % 1000);
    expect((await a.query('SELECT pg_try_advisory_lock($1) AS ok', [key])).rows[0].ok).toBe(true);
    expect((await b.query('SELECT pg_try_advisory_lock($1) AS ok', [key])).rows[0].ok).toBe(true);
    await a.query('SELECT pg_advisory_unlock_all()');
  });

  it('LISTEN through the bouncer never delivers: the notification goes to a server connection nobody listens on', async () => {
    const channel = `lido_ch_${process.pid}`;
    const listener = new pg.Client(bouncer.config());
    await listener.connect();
    const got: string[] = [];
    listener.on('notification', (n) => got.push(String(n.payload)));
    try {
      await listener.query(`LISTEN ${channel}`);
      // Another client takes the server connection the LISTEN ran on and keeps it busy.
      const other = new pg.Client(bouncer.config());
      await other.connect();
      await other.query('BEGIN');
      await other.query('SELECT 1');
      const direct = await pgClient(postgres);
      await direct.query(`NOTIFY ${channel}, 'hello'`);
      await direct.end();
      // A bounded wait: a direct connection would have the notification in well under this.
      await new Promise((r) => setTimeout(r, 1_000));
      await listener.query('SELECT 1');
      expect(got).toEqual([]);
      await other.query('ROLLBACK');
      await other.end();
    } finally {
      await listener.end();
    }
  });
});

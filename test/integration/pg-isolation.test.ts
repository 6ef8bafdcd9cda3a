/**
 * Session isolation with resetOnRelease: 'discard': what borrower A leaves on its
 * session is invisible to borrower B, who gets the same connection (max: 1; the
 * backend pid proves it). One test per kind of session state.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { PgPool, type PgPoolClient } from '../../src/adapters/pg/index.js';
import { describeWithPostgres, pgQuery, type PostgresConfig } from '../support/services.js';

const ROLE = `lido_iso_role_${process.pid}`; // per run: concurrent runs never drop each other's role

describeWithPostgres('session isolation with resetOnRelease: "discard"', (cfg: PostgresConfig) => {
  const conn = { host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database };
  let pool: PgPool<pg.Client>;

  beforeAll(async () => {
    await pgQuery(
      `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${ROLE} NOLOGIN; END IF; END $$`,
      [],
      cfg,
    );
  });
  afterAll(async () => {
    await pgQuery(`DROP ROLE IF EXISTS ${ROLE}`, [], cfg);
  });
  afterEach(async () => {
    if (pool && !pool.ending) await pool.end();
  });

  const pid = async (c: pg.ClientBase) =>
    (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

  /** A uses the only connection and releases it; B gets the same one and looks. */
  async function handOver<R>(
    a: (c: PgPoolClient<pg.Client>) => Promise<unknown>,
    b: (c: PgPoolClient<pg.Client>) => Promise<R>,
    resetOnRelease: 'discard' | 'rollback' = 'discard',
  ): Promise<R> {
    pool = new PgPool({ ...conn, max: 1, resetOnRelease }, pg.Client);
    const first = await pool.connect();
    const pidA = await pid(first);
    await a(first);
    first.release();
    const second = await pool.connect();
    try {
      expect(await pid(second)).toBe(pidA); // same connection
      return await b(second);
    } finally {
      second.release();
    }
  }

  it('SET ROLE', async () => {
    const user = await handOver(
      (c) => c.query(`SET ROLE ${ROLE}`),
      async (c) => (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u,
    );
    expect(user).toBe(cfg.user);
  });

  it('SET ROLE leaks without it (pg.Pool behaviour, the default)', async () => {
    const user = await handOver(
      (c) => c.query(`SET ROLE ${ROLE}`),
      async (c) => (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u,
      'rollback',
    );
    expect(user).toBe(ROLE);
  });

  it('set_config (custom settings such as a tenant id)', async () => {
    const tenant = await handOver(
      (c) => c.query("SELECT set_config('lido.tenant', 'acme', false)"),
      async (c) => (await c.query<{ t: string | null }>("SELECT current_setting('lido.tenant', true) AS t")).rows[0]!.t,
    );
    expect(tenant ?? '').toBe('');
  });

  it('SET of a server setting', async () => {
    const value = await handOver(
      (c) => c.query("SET statement_timeout = '4321ms'; SET search_path = pg_catalog"),
      async (c) =>
        (
          await c.query<{ st: string; sp: string }>(
            "SELECT current_setting('statement_timeout') AS st, current_setting('search_path') AS sp",
          )
        ).rows[0],
    );
    expect(value).toEqual({ st: '0', sp: '"$user", public' });
  });

  it('temporary tables', async () => {
    const found = await handOver(
      (c) => c.query('CREATE TEMP TABLE lido_tmp (x int); INSERT INTO lido_tmp VALUES (1)'),
      async (c) =>
        (await c.query<{ t: string | null }>("SELECT to_regclass('pg_temp.lido_tmp')::text AS t")).rows[0]!.t,
    );
    expect(found).toBeNull();
  });

  it('prepared statements (SQL PREPARE and protocol-level named queries)', async () => {
    const result = await handOver(
      async (c) => {
        await c.query('PREPARE lido_stmt AS SELECT 1');
        await c.query({ name: 'lido_named', text: 'SELECT $1::int AS n', values: [1] });
      },
      async (c) => {
        const prepared = (await c.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).rows.map(
          (r) => r.name,
        );
        // pg thinks nothing is prepared any more: the named query is parsed again, and works
        const named = (await c.query<{ n: number }>({ name: 'lido_named', text: 'SELECT $1::int AS n', values: [2] }))
          .rows[0]!.n;
        return { prepared, named };
      },
    );
    expect(result.prepared).toEqual([]);
    expect(result.named).toBe(2);
  });

  it("LISTEN (and the borrower's notification handlers)", async () => {
    let heardByA = 0;
    const result = await handOver(
      async (c) => {
        c.on('notification', () => heardByA++);
        await c.query('LISTEN lido_chan');
      },
      async (c) => {
        const channels = (await c.query<{ ch: string }>('SELECT pg_listening_channels() AS ch')).rows;
        await pgQuery("SELECT pg_notify('lido_chan', 'hello')", [], cfg);
        await c.query('SELECT pg_sleep(0.05)');
        return { channels, handlers: c.listenerCount('notification') };
      },
    );
    expect(result).toEqual({ channels: [], handlers: 0 });
    expect(heardByA).toBe(0);
  });

  it('session advisory locks', async () => {
    const held = await handOver(
      (c) => c.query('SELECT pg_advisory_lock(424242)'),
      async (c) =>
        (
          await c.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
          )
        ).rows[0]!.n,
    );
    expect(held).toBe(0);
  });

  it('an open transaction (rolled back before DISCARD ALL)', async () => {
    const state = await handOver(
      async (c) => {
        await c.query('BEGIN');
        await c.query("SET LOCAL application_name = 'in-tx'");
      },
      async (c) => ({
        status: c.getTransactionStatus(),
        app: (await c.query<{ a: string }>("SELECT current_setting('application_name') AS a")).rows[0]!.a,
      }),
    );
    expect(state.status).toBe('I');
    expect(state.app).not.toBe('in-tx');
  });
});

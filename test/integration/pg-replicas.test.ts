/**
 * PgPool with read replicas, against the real PostgreSQL. Each "replica" is the same
 * server reached through its own TCP proxy (test/support/tcp-proxy.ts), which the tests
 * cut off, silence and restore; every member connects with its own application_name,
 * so a query says where it ran.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { PgPool, type PgPoolOptions } from '../../src/adapters/pg/index.js';
import { describeWithPostgres, pgQuery, type PostgresConfig } from '../support/services.js';
import { tcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** This run's table: runs in other checkouts share the server, and never drop each other's. */
const TABLE = `lido_replicas_${process.pid}`;

/** Waits until `done()` holds (checked every 10 ms), or fails after `ms`. */
async function until(done: () => boolean, what: string, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !done(); await sleep(10)) {
    if (Date.now() > end) throw new Error(`still waiting after ${ms} ms: ${what}`);
  }
}
const WHERE = "SELECT current_setting('application_name') AS app";

/** Resolves with the event's arguments, or rejects after `ms`. (Not `events.once`: it would also reject on the pool's `error` events, which a cut replica's idle clients cause.) */
function event<T extends unknown[]>(pool: PgPool<pg.Client>, name: 'eject' | 'readmit', ms = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      pool.removeListener(name, on);
      reject(new Error(`no ${name} event within ${ms} ms`));
    }, ms);
    const on = (...args: unknown[]): void => {
      clearTimeout(timer);
      pool.removeListener(name, on);
      resolve(args as T);
    };
    pool.on(name, on);
  });
}

describeWithPostgres('PgPool with read replicas (TCP proxies to the real server)', (cfg: PostgresConfig) => {
  const conn = { host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database };
  let proxies: TcpProxy[] = [];
  const pools: PgPool<pg.Client>[] = [];
  const tag = `lido-rep-${process.pid}`;

  /** A PgPool whose primary is the server itself and whose replicas are the proxies. */
  const make = (options: PgPoolOptions<pg.Client> = {}) => {
    const pool = new PgPool<pg.Client>(
      {
        ...conn,
        application_name: `${tag}-primary`,
        replicas: proxies.map((p, i) => ({ host: p.host, port: p.port, application_name: `${tag}-replica-${i}` })),
        probe: { baseMs: 50, capMs: 200, timeoutMs: 2_000 },
        ...options,
      },
      pg.Client,
    );
    pools.push(pool);
    return pool;
  };
  /** Where a result ran: 'primary', 'replica-0', 'replica-1'. */
  const at = (r: pg.QueryResult<{ app: string }> | { rows: { app: string }[] }) => r.rows[0]!.app.slice(tag.length + 1);
  const read = async (pool: PgPool<pg.Client>) => at(await pool.query<{ app: string }>(WHERE, [], { readOnly: true }));

  beforeAll(async () => {
    await pgQuery(`DROP TABLE IF EXISTS ${TABLE}; CREATE TABLE ${TABLE} (app text)`, [], cfg);
  });
  afterAll(async () => {
    await pgQuery(`DROP TABLE IF EXISTS ${TABLE}`, [], cfg);
  });
  beforeEach(async () => {
    proxies = [await tcpProxy(conn), await tcpProxy(conn)];
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => (p.ending ? undefined : p.close({ timeoutMs: 2_000 }))));
    await Promise.all(proxies.map((p) => p.close()));
  });

  it('spreads reads over the replicas (round-robin) and sends writes to the primary', async () => {
    const pool = make();
    const reads: string[] = [];
    for (let i = 0; i < 6; i++) reads.push(await read(pool));
    expect(reads).toEqual(['replica-0', 'replica-1', 'replica-0', 'replica-1', 'replica-0', 'replica-1']);

    // every read-only form goes to a replica
    expect(at(await pool.query<{ app: string }>({ text: WHERE, readOnly: true }))).toMatch(/^replica-/);
    expect(at(await pool.replica.query<{ app: string }>(WHERE))).toMatch(/^replica-/);
    expect(await pool.replica.use(async (c) => at(await c.query<{ app: string }>(WHERE)))).toMatch(/^replica-/);
    const rc = await pool.replica.connect();
    expect(at(await rc.query<{ app: string }>(WHERE))).toMatch(/^replica-/);
    rc.release();
    const viaCallback = await new Promise<string>((resolve, reject) => {
      pool.query<{ app: string }>(WHERE, [], { readOnly: true }, (err, res) => (err ? reject(err) : resolve(at(res))));
    });
    expect(viaCallback).toMatch(/^replica-/);

    // writes, and anything not marked read-only, go to the primary
    await pool.query(`INSERT INTO ${TABLE} SELECT current_setting('application_name')`);
    await pool.use(async (c) => {
      await c.query('BEGIN');
      await c.query(`INSERT INTO ${TABLE} SELECT current_setting('application_name')`);
      await c.query('COMMIT');
    });
    expect(at(await pool.query<{ app: string }>(WHERE))).toBe('primary');
    expect(at(await pool.query<{ app: string }>(WHERE, [], { readOnly: false }))).toBe('primary');
    const { rows } = await pool.query<{ app: string }>(`SELECT app FROM ${TABLE}`);
    expect(rows.map((r) => r.app)).toEqual([`${tag}-primary`, `${tag}-primary`]);

    const s = pool.stats();
    expect(s.replicas!.map((r) => r.routed)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(s.replicas!.every((r) => r.routed >= 4 && r.state === 'healthy')).toBe(true);
    expect(s.routed).toBe(5);
    expect(proxies.every((p) => p.forwarded >= 1)).toBe(true);
    expect(pool.health().status).toBe('ok');
  });

  it('spreads concurrent reads over both replicas (least-borrowed too)', async () => {
    for (const replicaStrategy of ['round-robin', 'least-borrowed'] as const) {
      const pool = make({ replicaStrategy, max: 4 });
      const results = await Promise.all(
        Array.from({ length: 16 }, () =>
          pool.query<{ app: string }>(`${WHERE}, pg_sleep(0.02)`, [], { readOnly: true }),
        ),
      );
      const counts = new Map<string, number>();
      for (const r of results) counts.set(at(r), (counts.get(at(r)) ?? 0) + 1);
      expect([...counts.keys()].sort()).toEqual(['replica-0', 'replica-1']);
      expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(4);
      await pool.end();
    }
  });

  it("a replica's own options reach its connections (here: sessions that refuse writes); a query error does not count against it", async () => {
    const pool = make({
      replicas: proxies.map((p, i) => ({
        host: p.host,
        port: p.port,
        application_name: `${tag}-replica-${i}`,
        options: '-c default_transaction_read_only=on',
      })),
    });
    await expect(pool.replica.query(`INSERT INTO ${TABLE} VALUES ($1)`, ['from a replica'])).rejects.toMatchObject({
      code: '25006',
    });
    await expect(
      pool.query({ text: `INSERT INTO ${TABLE} VALUES ($1)`, values: ['from a replica'], readOnly: true }),
    ).rejects.toMatchObject({ code: '25006' });
    await pool.query(`INSERT INTO ${TABLE} VALUES ($1)`, ['from the primary']);
    const rows = await pgQuery<{ app: string }>(`DELETE FROM ${TABLE} WHERE app LIKE 'from %' RETURNING app`, [], cfg);
    expect(rows.map((r) => r.app)).toEqual(['from the primary']);
    expect(pool.stats().replicas!.map((r) => [r.state, r.consecutiveFailures])).toEqual([
      ['healthy', 0],
      ['healthy', 0],
    ]);
  });

  it('ejects a cut replica (reads keep working on the other), and takes it back once it answers again', async () => {
    const pool = make();
    for (let i = 0; i < 4; i++) await read(pool); // both replicas have a connection
    const ejected = event<[string, Error]>(pool, 'eject');

    proxies[0]!.cut(); // refuses new connections, drops the open ones
    // The idle clients' sockets report the drop on the next turns of the event loop; a
    // query sent on one before that fails (a query that was sent is never sent again).
    await until(() => pool.stats().replicas![0]!.size === 0, 'replica-0 idle clients evicted');
    const during: string[] = [];
    for (let i = 0; i < 10; i++) during.push(await read(pool)); // no read fails: a refused connection is tried elsewhere
    expect(during.every((w) => w === 'replica-1')).toBe(true);

    const [name, error] = await ejected;
    expect(name).toBe(`${pool.name}:replica-0`);
    expect(error).toMatchObject({ code: 'ERR_POOL_CREATE', phase: 'create', cause: { code: 'ECONNREFUSED' } });
    const s = pool.stats();
    expect(s.replicas![0]).toMatchObject({ name: `${pool.name}:replica-0`, state: 'ejected', ejections: 1 });
    expect(s.healthyReplicas).toBe(1);
    const h = pool.health();
    expect(h.status).toBe('degraded');
    expect(h.members!.find((m) => m.name === `${pool.name}:replica-0`)).toMatchObject({
      state: 'ejected',
      status: 'down',
    });

    const readmitted = event<[string]>(pool, 'readmit');
    await proxies[0]!.restore();
    expect(await readmitted).toEqual([`${pool.name}:replica-0`]);
    expect(pool.stats().replicas![0]!.state).toBe('healthy');
    const after = new Set<string>();
    for (let i = 0; i < 4; i++) after.add(await read(pool));
    expect([...after].sort()).toEqual(['replica-0', 'replica-1']);
    // Serving again; the refused connections stay in replica-0's create error rate for the health window.
    const back = pool.health();
    expect(back.members!.map((m) => m.status)).not.toContain('down');
    for (const m of back.members!) for (const r of m.reasons) expect(r).toMatch(/^create errors /);
  });

  it('sends reads to the primary while every replica is down, and back to the replicas when they return', async () => {
    const pool = make();
    await read(pool);
    await read(pool);
    const ejections: string[] = [];
    pool.on('eject', (name) => ejections.push(name));
    for (const p of proxies) p.cut();
    await until(() => pool.stats().replicas!.every((r) => r.size === 0), 'replica idle clients evicted');

    const during: string[] = [];
    for (let i = 0; i < 8; i++) during.push(await read(pool)); // none fails
    expect(during.at(-1)).toBe('primary');
    expect(during.every((w) => w === 'primary')).toBe(true);
    expect(ejections.sort()).toEqual([`${pool.name}:replica-0`, `${pool.name}:replica-1`]);
    expect(pool.stats().healthyReplicas).toBe(0);
    const h = pool.health();
    expect(h.status).toBe('degraded');
    expect(h.reasons).toContain('no healthy replica: read-only work goes to the primary');
    expect(at(await pool.replica.query<{ app: string }>(WHERE))).toBe('primary');

    let back = 0;
    pool.on('readmit', () => back++);
    await Promise.all(proxies.map((p) => p.restore()));
    await until(() => back === 2, 'both replicas readmitted', 10_000);
    const after = new Set<string>();
    for (let i = 0; i < 4; i++) after.add(await read(pool));
    expect([...after].sort()).toEqual(['replica-0', 'replica-1']);
  });

  it('with fallbackToPrimary: false, reads fail with ERR_POOL_NO_REPLICA once every replica is ejected; writes go on', async () => {
    const pool = make({ fallbackToPrimary: false });
    for (const p of proxies) p.cut();
    await expect(pool.query(WHERE, [], { readOnly: true })).rejects.toMatchObject({ code: 'ERR_POOL_NO_REPLICA' });
    await expect(pool.replica.query(WHERE)).rejects.toMatchObject({ code: 'ERR_POOL_NO_REPLICA' });
    expect(at(await pool.query<{ app: string }>(WHERE))).toBe('primary');
  });

  it('ejects a replica that accepts connections and never answers, bounded by connectionTimeoutMillis', async () => {
    const pool = make({ connectionTimeoutMillis: 300, ejectAfter: 2 });
    proxies[0]!.blackhole();
    const ejected = event<[string, Error]>(pool, 'eject');
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const t0 = Date.now();
      try {
        outcomes.push(await read(pool));
      } catch (e) {
        expect((e as Error).message).toMatch(/timeout/);
        expect(Date.now() - t0).toBeLessThan(2_000);
        outcomes.push('timeout');
      }
    }
    const [name] = await ejected;
    expect(name).toBe(`${pool.name}:replica-0`);
    // once ejected, every read goes to the replica that answers
    expect(outcomes.slice(-3)).toEqual(['replica-1', 'replica-1', 'replica-1']);
    expect(outcomes).not.toContain('replica-0');
  });

  it('end() closes every member: no replica connection is left on the server or the proxies', async () => {
    const pool = make({ min: 1, keepMin: true }); // every member opens one at once
    await read(pool);
    await read(pool);
    const c = await pool.replica.connect();
    expect(pool.totalCount).toBeGreaterThanOrEqual(3);
    const ended = pool.end();
    c.release();
    await ended;
    expect(pool.totalCount).toBe(0);
    let left = -1;
    for (let i = 0; i < 50 && left !== 0; i++) {
      const rows = await pgQuery<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE $1',
        [`${tag}-%`],
        cfg,
      );
      left = Number(rows[0]!.n);
      if (left !== 0) await sleep(50);
    }
    expect(left).toBe(0);
    await until(() => proxies.every((p) => p.open === 0), 'proxies see every connection closed');
  });
});

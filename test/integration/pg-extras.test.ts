/**
 * What PgPool adds to pg.Pool, against the real PostgreSQL: lido's options, stats,
 * health, advice, resize, disposable clients, pre-ping after idle, clean hand-over,
 * password functions.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { PgPool, QueueFullError, type PgPoolOptions } from '../../src/adapters/pg/index.js';
import { describeWithPostgres, pgQuery, type PostgresConfig } from '../support/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** This run's table: runs in other checkouts share the server, and never drop each other's. */
const TABLE = `lido_extras_${process.pid}`;

/** A pg.Client that records every statement text it sends. */
function recordingClient() {
  const sent: string[] = [];
  class Recording extends pg.Client {
    override query(...args: any[]): any {
      const q = args[0];
      sent.push(typeof q === 'string' ? q : q?.text);
      return (super.query as (...a: any[]) => any)(...args);
    }
  }
  return { Recording, sent };
}

/** A TCP proxy to PostgreSQL whose current connections can be frozen: bytes stop, nothing closes. */
async function freezableProxy(target: { host: string; port: number }) {
  const pairs: { client: net.Socket; upstream: net.Socket }[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    pairs.push({ client, upstream });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      for (const { client, upstream } of pairs.splice(0)) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
        (this as { frozen: net.Socket[] }).frozen.push(client, upstream);
      }
    },
    frozen: [] as net.Socket[],
    async close() {
      for (const s of [...pairs.flatMap((p) => [p.client, p.upstream]), ...this.frozen]) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describeWithPostgres('what PgPool adds', (cfg: PostgresConfig) => {
  const conn = { host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database };
  const pools: PgPool<pg.Client>[] = [];
  const make = (options: PgPoolOptions<pg.Client> = {}, Client: typeof pg.Client = pg.Client) => {
    const pool = new PgPool<pg.Client>({ ...conn, ...options }, Client);
    pools.push(pool);
    return pool;
  };
  beforeAll(async () => {
    await pgQuery(`DROP TABLE IF EXISTS ${TABLE}; CREATE TABLE ${TABLE} (v int)`, [], cfg);
  });
  afterAll(async () => {
    await pgQuery(`DROP TABLE IF EXISTS ${TABLE}`, [], cfg);
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => (p.ending ? undefined : p.close({ timeoutMs: 2_000 }))));
  });
  const pid = async (c: pg.ClientBase) =>
    (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

  it('stats, health and advice reflect real use', async () => {
    const pool = make({ max: 3, name: 'extras' });
    await Promise.all(Array.from({ length: 12 }, () => pool.query('SELECT pg_sleep(0.01)')));
    const s = pool.stats();
    expect(s).toMatchObject({ name: 'extras', max: 3, acquired: 12, released: 12, borrowed: 0, created: 3 });
    expect(s.useTime.count).toBe(12);
    expect(s.useTime.mean).toBeGreaterThan(5);
    expect(pool.health().status).toBe('ok');
    for (const a of pool.advise()) expect(a).toMatchObject({ severity: expect.any(String), issue: expect.any(String) });
  });

  it('resize() changes max at run time', async () => {
    // Held clients, not timed queries: whether ten 20 ms queries overlap five at a time
    // depends on how fast new connections open on a busy machine.
    const pool = make({ max: 2 });
    const held = await Promise.all([pool.connect(), pool.connect()]);
    const third = pool.connect();
    expect(pool.stats()).toMatchObject({ borrowed: 2, pending: 1, max: 2 });
    pool.resize({ max: 5 });
    held.push(await third, ...(await Promise.all([pool.connect(), pool.connect()])));
    expect(pool.stats()).toMatchObject({ borrowed: 5, pending: 0, max: 5 });
    const sixth = pool.connect();
    expect(pool.stats().pending).toBe(1);
    held.pop()!.release();
    held.push(await sixth);
    expect(new Set(await Promise.all(held.map(pid))).size).toBe(5);
    for (const client of held) client.release();
    expect(pool.stats()).toMatchObject({ borrowed: 0, idle: 5 });
  });

  it('await using: a client from connect() is released at the end of the block', async () => {
    const pool = make();
    {
      await using client = await pool.connect();
      await client.query('SELECT 1');
      expect(pool.stats().borrowed).toBe(1);
    }
    expect(pool.stats().borrowed).toBe(0);
  });

  it('await using: the pool itself closes at the end of the block', async () => {
    let outer: PgPool<pg.Client> | undefined;
    {
      await using pool = new PgPool<pg.Client>({ ...conn }, pg.Client);
      outer = pool;
      await pool.query('SELECT 1');
    }
    expect(outer!.ended).toBe(true);
  });

  it('pre-ping only after idle longer than validateAfterIdleMs, with an empty query', async () => {
    const { Recording, sent } = recordingClient();
    const pool = make({ max: 1, validateAfterIdleMs: 200 }, Recording);
    await pool.query('SELECT 1');
    await pool.query('SELECT 2'); // idle a moment: no ping
    await sleep(300);
    await pool.query('SELECT 3'); // idle 300 ms: pinged first
    expect(sent).toEqual(['SELECT 1', 'SELECT 2', '', 'SELECT 3']);
    expect(pool.stats().validationFailures).toBe(0);
  });

  it('a client that fails its pre-ping is replaced, and the caller never sees it', async () => {
    const pool = make({ max: 1, validateAfterIdleMs: 0, pingQuery: 'SELECT 1/0' });
    const first = await pid(await pool.connect().then((c) => (c.release(), c)));
    const second = await pool.use(async (c) => pid(c));
    expect(second).not.toBe(first);
    expect(pool.stats().validationFailures).toBeGreaterThanOrEqual(1);
  });

  it('the pre-ping catches a connection that died silently (no FIN, no RST): replaced within validateTimeoutMs', async () => {
    const proxy = await freezableProxy(cfg);
    try {
      const pool = make({ port: proxy.port, max: 1, validateAfterIdleMs: 50, validateTimeoutMs: 200 });
      const first = await pool.use((c) => pid(c));
      proxy.freeze(); // the idle connection now swallows everything and never closes
      await sleep(100); // idle longer than validateAfterIdleMs
      const t0 = performance.now();
      const second = await pool.use((c) => pid(c));
      const took = performance.now() - t0;
      expect(second).not.toBe(first);
      expect(took).toBeGreaterThanOrEqual(190);
      expect(took).toBeLessThan(2_000);
      expect(pool.stats().validationFailures).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('keepaliveMs pings idle clients on that period', async () => {
    const { Recording, sent } = recordingClient();
    const pool = make({ keepaliveMs: 100, idleTimeoutMillis: 0 }, Recording);
    await pool.query('SELECT 1');
    await sleep(450);
    expect(sent.filter((s) => s === '').length).toBeGreaterThanOrEqual(2);
    expect(pool.totalCount).toBe(1);
  });

  it('a client released inside a transaction is rolled back before anyone else gets it', async () => {
    const pool = make({ max: 1 });
    const a = await pool.connect();
    const pidA = await pid(a);
    await a.query('BEGIN');
    await a.query(`INSERT INTO ${TABLE} VALUES (1)`);
    a.release();
    const b = await pool.connect();
    expect(await pid(b)).toBe(pidA);
    expect(b.getTransactionStatus()).toBe('I');
    expect((await b.query(`SELECT count(*)::int AS n FROM ${TABLE}`)).rows[0].n).toBe(0);
    b.release();
  });

  it('a client released in a failed transaction is rolled back too', async () => {
    const pool = make({ max: 1 });
    const a = await pool.connect();
    await a.query('BEGIN');
    await a.query('SELECT 1/0').catch(() => {});
    a.release(); // pg has settled the query, but the server's ReadyForQuery ('E') may not be in yet
    const b = await pool.connect();
    expect(b).toBe(a);
    expect((await b.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    b.release();
  });

  it('a statement that opens a transaction and fails inside it, released at once, is rolled back', async () => {
    const pool = make({ max: 1 });
    const a = await pool.connect();
    await expect(a.query('BEGIN; SELECT 1/0')).rejects.toThrow('division by zero');
    a.release();
    const b = await pool.connect();
    expect(b).toBe(a);
    expect((await b.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
    expect(b.getTransactionStatus()).toBe('I');
    b.release();
  });

  it('a client released with a query still running is handed over only after it finishes, clean', async () => {
    const pool = make({ max: 1 });
    const a = await pool.connect();
    await a.query('BEGIN');
    const running = a.query('SELECT pg_sleep(0.1)');
    a.release();
    const b = await pool.connect();
    expect(b).toBe(a);
    await running;
    expect(b.getTransactionStatus()).toBe('I');
    b.release();
  });

  it('password may be a function, evaluated at each connect', async () => {
    let calls = 0;
    const pool = make({ max: 3, password: () => (calls++, Promise.resolve(cfg.password || 'ignored-by-trust')) });
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        const c = await pool.connect();
        await sleep(20);
        c.release();
      }),
    );
    expect(calls).toBe(3);
    expect(JSON.stringify(pool.config())).not.toContain('ignored-by-trust');
  });

  it('maxWaiting bounds the queue: beyond it connect() rejects at once', async () => {
    const pool = make({ max: 1, maxWaiting: 1 });
    const held = await pool.connect();
    const queued = pool.connect();
    await expect(pool.connect()).rejects.toBeInstanceOf(QueueFullError);
    held.release();
    (await queued).release();
  });

  it('leakDetectionMs reports a client held too long', async () => {
    const pool = make({ leakDetectionMs: 50 });
    const leak = new Promise((resolve) => pool.once('leak', resolve));
    const warn = new Promise((resolve) => process.once('warning', resolve)); // lido also warns
    const c = await pool.connect();
    const report = (await leak) as { heldMs: number; stack: string };
    expect(report.heldMs).toBeGreaterThanOrEqual(50);
    expect(report.stack).toMatch(/pg-extras\.test\.ts/);
    await warn;
    c.release();
  });

  it('acquireTimeoutMs (lido name) bounds a wait like connectionTimeoutMillis', async () => {
    const pool = make({ max: 1, min: 1, acquireTimeoutMs: 100 });
    await pool.ready(); // opened under the create timeout: the 100 ms bound the wait alone
    const held = await pool.connect();
    const t0 = performance.now();
    await expect(pool.connect()).rejects.toThrow(/timeout/);
    expect(performance.now() - t0).toBeLessThan(1_000);
    held.release();
  });

  it('close({ timeoutMs }) destroys clients still checked out after the timeout', async () => {
    const pool = make();
    const c = await pool.connect();
    const p = pid(c);
    await p;
    const report = await pool.close({ timeoutMs: 50 });
    expect(report.forced).toBe(1);
    // the connection is closed (the server may take a moment to notice)
    let alive = 1;
    for (let i = 0; i < 50 && alive > 0; i++) {
      alive = (
        await pgQuery<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [await p], cfg)
      )[0]!.n;
      if (alive > 0) await sleep(20);
    }
    expect(alive).toBe(0);
  });
});

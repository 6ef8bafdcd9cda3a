/**
 * PgPool behaves like pg.Pool: one test per behaviour, against the real PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { AcquireTimeoutError, PgPool, type PgPoolOptions } from '../../src/adapters/pg/index.js';
import { describeWithPostgres, pgQuery, type PostgresConfig } from '../support/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithPostgres('PgPool behaves like pg.Pool', (cfg: PostgresConfig) => {
  const conn = { host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database };
  const pools: PgPool<pg.Client>[] = [];
  const make = (options: PgPoolOptions<pg.Client> = {}, Client: typeof pg.Client = pg.Client) => {
    const pool = new PgPool<pg.Client>({ ...conn, ...options }, Client);
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => (p.ending ? undefined : p.end())));
  });
  const backendPid = async (c: pg.ClientBase) =>
    (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const terminate = (pid: number) => pgQuery('SELECT pg_terminate_backend($1)', [pid], cfg);

  it('new PgPool(options, Client): clients are new Client(options) with the whole options object', async () => {
    const pool = make({ application_name: 'lido-pg-test', statement_timeout: 1234 });
    const { rows } = await pool.query<{ app: string; st: string }>(
      "SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS st",
    );
    expect(rows[0]).toEqual({ app: 'lido-pg-test', st: '1234ms' });
  });

  it('options.Client wins over the Client argument', async () => {
    const made: string[] = [];
    class A extends pg.Client {
      constructor(o: pg.ClientConfig) {
        super(o);
        made.push('A');
      }
    }
    class B extends pg.Client {
      constructor(o: pg.ClientConfig) {
        super(o);
        made.push('B');
      }
    }
    const pool = make({ Client: A }, B);
    await pool.query('SELECT 1');
    expect(made).toEqual(['A']);
  });

  it('max (and its alias poolSize) bounds the clients', async () => {
    const pool = make({ poolSize: 2, max: undefined });
    const results = await Promise.all(Array.from({ length: 6 }, () => pool.query('SELECT pg_sleep(0.02)')));
    expect(results).toHaveLength(6);
    expect(pool.stats().peakBorrowed).toBe(2);
    expect(pool.totalCount).toBe(2);
  });

  it('min: nothing is opened for it (pg.Pool); idle clients above it close after idleTimeoutMillis, never below it', async () => {
    const pool = make({ min: 1, max: 3, idleTimeoutMillis: 50 });
    await sleep(30);
    expect(pool.totalCount).toBe(0);
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    for (const c of clients) c.release();
    expect(pool.idleCount).toBe(3);
    for (let i = 0; i < 100 && pool.totalCount > 1; i++) await sleep(10);
    expect(pool.totalCount).toBe(1);
    await sleep(150);
    expect([pool.totalCount, pool.idleCount]).toEqual([1, 1]);
  });

  it('ready() opens min now; with keepMin: true a removed client is replaced, without it not', async () => {
    const kept = make({ min: 2, keepMin: true });
    const plain = make({ min: 2 });
    await Promise.all([kept.ready(), plain.ready()]);
    expect([kept.totalCount, plain.totalCount]).toEqual([2, 2]);
    for (const pool of [kept, plain]) (await pool.connect()).release(new Error('gone'));
    for (let i = 0; i < 100 && kept.totalCount < 2; i++) await sleep(10);
    expect(kept.totalCount).toBe(2);
    await sleep(50);
    expect(plain.totalCount).toBe(1);
  });

  it('query(text, values) resolves to a pg result', async () => {
    const pool = make();
    const res = await pool.query<{ n: number; s: string }>('SELECT $1::int AS n, $2::text AS s', [7, 'x']);
    expect(res.rows).toEqual([{ n: 7, s: 'x' }]);
    expect(res.command).toBe('SELECT');
    expect(res.rowCount).toBe(1);
  });

  it('query(config) takes { text, values, name, rowMode, types }', async () => {
    const pool = make();
    const types = { getTypeParser: () => (v: string) => `parsed:${v}` };
    const res = await pool.query({
      text: 'SELECT $1::int AS n',
      values: [3],
      name: 'lido-named',
      rowMode: 'array',
      types,
    });
    expect(res.rows).toEqual([['parsed:3']]);
  });

  it('query callback form: returns undefined and never calls back synchronously', async () => {
    const pool = make();
    const order: string[] = [];
    const rows = await new Promise((resolve, reject) => {
      const r = pool.query('SELECT 1 AS one', (err, res) => {
        order.push('callback');
        if (err) reject(err);
        else resolve(res.rows);
      });
      expect(r).toBeUndefined();
      order.push('returned');
    });
    expect(rows).toEqual([{ one: 1 }]);
    expect(order).toEqual(['returned', 'callback']);
    // errors too: an ended pool answers on a later tick
    await pool.end();
    order.length = 0;
    await new Promise<void>((resolve) => {
      pool.query('SELECT 1', (err) => {
        order.push(`callback:${err?.message}`);
        resolve();
      });
      order.push('returned');
    });
    expect(order).toEqual(['returned', 'callback:Cannot use a pool after calling end on the pool']);
  });

  it('query callback form with values', async () => {
    const pool = make();
    const rows = await new Promise((resolve, reject) => {
      pool.query('SELECT $1::int AS n', [5], (err, res) => (err ? reject(err) : resolve(res.rows)));
    });
    expect(rows).toEqual([{ n: 5 }]);
  });

  it('a query error destroys that client', async () => {
    const pool = make({ max: 1 });
    const pid1 = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const removed = new Promise((r) => pool.once('remove', r));
    await expect(pool.query('SELECT * FROM no_such_table_lido')).rejects.toMatchObject({ code: '42P01' });
    await removed;
    const pid2 = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    expect(pid2).not.toBe(pid1);
  });

  it('connect() promise form gives a client with release()', async () => {
    const pool = make();
    const client = await pool.connect();
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    client.release();
    await sleep(10);
    expect(pool.idleCount).toBe(1);
  });

  it('connect(callback) gives (err, client, release) on a later tick', async () => {
    const pool = make();
    let sync = true;
    const [err, client, release] = await new Promise<any[]>((resolve) => {
      expect(pool.connect((...args) => resolve(args))).toBeUndefined();
      sync = false;
    });
    expect(sync).toBe(false);
    expect(err).toBeUndefined();
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    expect(release).toBe(client.release);
    release();
  });

  it('release(err) destroys the client; release() keeps it', async () => {
    const pool = make();
    const a = await pool.connect();
    const pidA = await backendPid(a);
    a.release();
    const b = await pool.connect();
    expect(await backendPid(b)).toBe(pidA); // kept and reused
    const removed = new Promise((r) => pool.once('remove', r));
    b.release(new Error('I broke it'));
    expect(await removed).toBe(b);
    const c = await pool.connect();
    expect(await backendPid(c)).not.toBe(pidA);
    c.release();
  });

  it('releasing twice throws as pg.Pool does', async () => {
    const pool = make();
    const client = await pool.connect();
    client.release();
    expect(() => client.release()).toThrow('Release called on client which has already been released to the pool.');
  });

  it('end() resolves once every client is closed; end(callback) calls back', async () => {
    const a = make();
    const [c1, c2] = [await a.connect(), await a.connect()];
    c1.release();
    c2.release();
    const removed: unknown[] = [];
    a.on('remove', (c) => removed.push(c));
    await a.end();
    expect(a.ended).toBe(true);
    expect(removed).toHaveLength(2);
    const b = make();
    await b.query('SELECT 1');
    const err = await new Promise((r) => b.end(r));
    expect(err).toBeUndefined();
    expect(b.ended).toBe(true);
  });

  it('an ended pool errors for connect, query and end', async () => {
    const pool = make();
    await pool.query('SELECT 1');
    await pool.end();
    await expect(pool.connect()).rejects.toThrow('Cannot use a pool after calling end on the pool');
    await expect(pool.query('SELECT 1')).rejects.toThrow('Cannot use a pool after calling end on the pool');
    await expect(pool.end()).rejects.toThrow('Called end on pool more than once');
  });

  it('calls waiting at end() finish, then end() resolves; calls after end() are refused at once', async () => {
    const pool = make({ max: 1 });
    const held = await pool.connect();
    const waitingClient = pool.connect();
    const waitingQuery = pool.query<{ n: number }>('SELECT 2 AS n');
    await sleep(20);
    expect(pool.waitingCount).toBe(2);
    let ended = false;
    const ending = pool.end().then(() => (ended = true));
    await expect(pool.connect()).rejects.toThrow('Cannot use a pool after calling end on the pool');
    await expect(pool.query('SELECT 1')).rejects.toThrow('Cannot use a pool after calling end on the pool');
    held.release();
    const client = await waitingClient;
    expect((await client.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n).toBe(1);
    client.release();
    expect((await waitingQuery).rows[0]!.n).toBe(2);
    await ending;
    expect(ended).toBe(true);
    expect(pool.totalCount).toBe(0);
  });

  it('totalCount, idleCount and waitingCount', async () => {
    const pool = make({ max: 2 });
    expect([pool.totalCount, pool.idleCount, pool.waitingCount]).toEqual([0, 0, 0]);
    const a = await pool.connect();
    const b = await pool.connect();
    const c = pool.connect();
    await sleep(20);
    expect([pool.totalCount, pool.idleCount, pool.waitingCount]).toEqual([2, 0, 1]);
    a.release();
    (await c).release();
    b.release();
    await sleep(20);
    expect([pool.totalCount, pool.idleCount, pool.waitingCount]).toEqual([2, 2, 0]);
  });

  it('expiredCount and maxLifetimeSeconds: an expired client is closed when released', async () => {
    const pool = make({ maxLifetimeSeconds: 1 });
    const client = await pool.connect();
    expect(pool.expiredCount).toBe(0);
    await sleep(1050);
    expect(pool.expiredCount).toBe(1);
    const removed = new Promise((r) => pool.once('remove', r));
    client.release();
    await removed;
    expect(pool.totalCount).toBe(0);
    expect(pool.expiredCount).toBe(0);
  });

  it('maxUses: a client is closed after that many checkouts', async () => {
    const pool = make({ maxUses: 3, max: 1 });
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++)
      pids.add((await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    expect(pids.size).toBe(2);
  });

  it('idleTimeoutMillis: idle clients are closed after that long', async () => {
    const pool = make({ idleTimeoutMillis: 100 });
    await pool.query('SELECT 1');
    expect(pool.totalCount).toBe(1);
    const removed = new Promise((r) => pool.once('remove', r));
    await removed;
    expect(pool.totalCount).toBe(0);
  });

  it('connectionTimeoutMillis: waiting for a full pool rejects with "timeout"', async () => {
    const pool = make({ max: 1, min: 1, connectionTimeoutMillis: 200, createTimeoutMs: 30_000 });
    await pool.ready(); // opened first: the 200 ms bound the wait alone, however busy the machine
    const held = await pool.connect();
    const t0 = performance.now();
    const err = await pool.query('SELECT 1').then(
      () => null,
      (e: Error) => e,
    );
    const took = performance.now() - t0;
    expect(err).toBeInstanceOf(AcquireTimeoutError);
    expect(err!.message).toContain('timeout');
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1000);
    held.release();
  });

  it("events connect, acquire, release, remove with pg.Pool's arguments, in order", async () => {
    const pool = make();
    const events: [string, ...unknown[]][] = [];
    pool.on('connect', (c) => events.push(['connect', c]));
    pool.on('acquire', (c) => events.push(['acquire', c]));
    pool.on('release', (err, c) => events.push(['release', err, c]));
    pool.on('remove', (c) => events.push(['remove', c]));
    const client = await pool.connect();
    client.release();
    await sleep(10);
    const again = await pool.connect();
    const failure = new Error('done with it');
    again.release(failure);
    await pool.end();
    expect(events).toEqual([
      ['connect', client],
      ['acquire', client],
      ['release', undefined, client],
      ['acquire', client],
      ['release', failure, client],
      ['remove', client],
    ]);
  });

  it('an idle client killed by the server is removed first, then error is emitted with err.client', async () => {
    const pool = make();
    const client = await pool.connect();
    const pid = await backendPid(client);
    client.release();
    await sleep(10);
    const seen = new Promise<[Error & { client?: unknown }, unknown, number]>((resolve) => {
      pool.once('error', (err, c) => resolve([err, c, pool.totalCount]));
    });
    await terminate(pid);
    const [err, c, totalAtEmit] = await seen;
    expect(c).toBe(client);
    expect(err.client).toBe(client);
    expect(totalAtEmit).toBe(0);
    expect(err.message).toMatch(/terminat/i);
    await expect(pool.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });

  it('an idle client error never crashes the process when nobody listens', async () => {
    const pool = make();
    const client = await pool.connect();
    const pid = await backendPid(client);
    client.release();
    await sleep(10);
    expect(pool.listenerCount('error')).toBe(0);
    const removed = new Promise((r) => pool.once('remove', r));
    await terminate(pid);
    await removed;
    expect(pool.totalCount).toBe(0);
    await expect(pool.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });

  it('onConnect runs once per new client before it is used; a rejection fails that connect', async () => {
    let calls = 0;
    const pool = make({
      onConnect: async (c) => {
        calls++;
        await c.query("SET application_name = 'from-onConnect'");
        if (calls === 2) throw new Error('onConnect says no');
      },
    });
    const a = await pool.connect();
    expect((await a.query<{ app: string }>("SELECT current_setting('application_name') AS app")).rows[0]!.app).toBe(
      'from-onConnect',
    );
    await expect(pool.connect()).rejects.toThrow('onConnect says no');
    a.release();
    expect(calls).toBe(2);
  });

  it('verify(client, done) checks new clients; done(err) fails that connect', async () => {
    let calls = 0;
    const pool = make({
      verify: (client, done) => {
        calls++;
        client.query('SELECT 1').then(() => done(calls > 1 ? new Error('verify rejected it') : undefined), done);
      },
    });
    const a = await pool.connect();
    await expect(pool.connect()).rejects.toThrow('verify rejected it');
    a.release();
    await pool.query('SELECT 1'); // the verified idle client: not verified again
    expect(calls).toBe(2);
  });

  it('log receives pg-pool style messages', async () => {
    const lines: string[] = [];
    const pool = make({ log: (msg: unknown) => lines.push(String(msg)) });
    await pool.query('SELECT 1');
    await pool.end();
    expect(lines).toEqual(
      expect.arrayContaining([
        'connecting new client',
        'new client connected',
        'dispatching query',
        'query dispatched',
        'ending',
      ]),
    );
  });

  it('allowExitOnIdle: true lets the process exit with idle clients; false keeps it until they are reaped', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lido-pg-'));
    const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/adapters/pg/index.ts');
    const script = path.join(dir, 'exit.mts');
    const pgUrl = pathToFileURL(createRequire(import.meta.url).resolve('pg')).href;
    writeFileSync(
      script,
      `
      import pg from ${JSON.stringify(pgUrl)};
      import { PgPool } from ${JSON.stringify(entry)};
      const pool = new PgPool({ ...JSON.parse(process.env.CONN), allowExitOnIdle: process.env.EXIT === '1', idleTimeoutMillis: 1500 }, pg.Client);
      await pool.query('SELECT 1');
      globalThis.t0 = performance.now();
      process.on('exit', () => console.log(Math.round(performance.now() - globalThis.t0)));
    `,
    );
    const run = (exit: string) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script], {
          env: { ...process.env, CONN: JSON.stringify(conn), EXIT: exit },
          cwd: process.cwd(),
        });
        let out = '';
        let errOut = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (errOut += d));
        const kill = setTimeout(() => child.kill(), 15_000);
        child.on('exit', (code) => {
          clearTimeout(kill);
          if (code !== 0) reject(new Error(`child exited ${code}: ${errOut}`));
          else resolve(Number(out.trim()));
        });
      });
    const [withExit, without] = await Promise.all([run('1'), run('0')]).finally(() =>
      rmSync(dir, { recursive: true, force: true }),
    );
    expect(withExit).toBeLessThan(500);
    expect(without).toBeGreaterThanOrEqual(1400);
  }, 30_000);
});

/**
 * PgPool's pg.Pool semantics, against a fake client (no server): argument shapes,
 * asynchrony, events and their order, release rules, counts, errors.
 */
import { describe, expect, it, vi } from 'vitest';
import { AcquireTimeoutError, PgPool, PoolClosedError, PoolOptionsError } from '../../../src/adapters/pg/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { fakePg, settle } from './fake-client.js';

function setup(options: Record<string, unknown> = {}) {
  const { Client, server } = fakePg();
  const pool = new PgPool({ max: 2, ...options }, Client);
  return { pool, server, Client };
}

describe('PgPool: construction', () => {
  it('makes clients as new Client(options) with the whole options object', async () => {
    const { pool, server } = setup({ binary: true, application_name: 'app', statement_timeout: 1000 });
    await pool.query('SELECT 1');
    const config = server.clients[0]!.config;
    expect(config).toMatchObject({ binary: true, application_name: 'app', statement_timeout: 1000, max: 2 });
    await pool.end();
  });

  it('prefers options.Client over the Client argument', async () => {
    const a = fakePg();
    const b = fakePg();
    const pool = new PgPool({ Client: a.Client }, b.Client);
    expect(pool.Client).toBe(a.Client);
    await pool.query('SELECT 1');
    expect(a.server.clients).toHaveLength(1);
    expect(b.server.clients).toHaveLength(0);
    await pool.end();
  });

  it("loads the application's pg when no Client is given", async () => {
    const pg = await import('pg');
    const pool = new PgPool({});
    expect(pool.Client).toBe(pg.default.Client);
    await pool.end();
  });

  it('keeps the password out of pool.options when printed', () => {
    const { pool } = setup({ password: 'hunter2-secret' });
    expect(pool.options.password).toBe('hunter2-secret');
    expect(Object.keys(pool.options)).not.toContain('password');
    expect(JSON.stringify(pool.options)).not.toContain('hunter2');
    expect(JSON.stringify(pool.config())).not.toContain('hunter2');
  });

  it("fills in pg-pool's defaults on pool.options and accepts poolSize for max", () => {
    const { Client } = fakePg();
    const pool = new PgPool({ poolSize: 7 }, Client);
    expect(pool.options).toMatchObject({
      max: 7,
      min: 0,
      maxUses: Infinity,
      allowExitOnIdle: false,
      maxLifetimeSeconds: 0,
      idleTimeoutMillis: 10_000,
    });
    expect(pool.stats().max).toBe(7);
  });

  it('rejects bad option values at once, naming the option', () => {
    const { Client } = fakePg();
    expect(() => new PgPool({ max: 'ten' as unknown as number }, Client)).toThrow(
      /max: expected a positive integer, got "ten"/,
    );
    expect(() => new PgPool({ connectionTimeoutMillis: -5 }, Client)).toThrow(/connectionTimeoutMillis/);
    expect(() => new PgPool({ resetOnRelease: 'wipe' as 'discard' }, Client)).toThrow(
      'resetOnRelease: expected "rollback" or "discard", got "wipe"',
    );
    expect(() => new PgPool({ password: 12345678 as unknown as string }, Client)).toThrow(
      'password: expected a string or a function returning one, got number',
    );
    expect(() => new PgPool({ onConnect: 'x' as never }, Client)).toThrow(PoolOptionsError);
    expect(() => new PgPool({ acquireTimeoutMs: 0 }, Client)).toThrow(/acquireTimeoutMs/);
  });
});

describe('PgPool: query()', () => {
  it('takes text and values, promise form', async () => {
    const { pool } = setup();
    const res = await pool.query('SELECT $1::int', [1]);
    expect(res.rows[0]).toEqual({ sql: 'SELECT $1::int', values: [1] });
    await pool.end();
  });

  it('takes a config object', async () => {
    const { pool } = setup();
    const res = await pool.query({ text: 'SELECT $1', values: [2], name: 'q', rowMode: 'array' });
    expect(res.rows[0]).toMatchObject({ sql: 'SELECT $1' });
    await pool.end();
  });

  it('callback form: returns undefined, calls back asynchronously with (err, result)', async () => {
    const { pool } = setup();
    const order: string[] = [];
    const result = await new Promise((resolve) => {
      const r = pool.query('SELECT 1', (err, res) => {
        order.push('callback');
        resolve([err, res.rows.length]);
      });
      order.push('returned');
      expect(r).toBeUndefined();
    });
    expect(order).toEqual(['returned', 'callback']);
    expect(result).toEqual([undefined, 1]);
    await pool.end();
  });

  it('callback form with values', async () => {
    const { pool } = setup();
    const rows = await new Promise((resolve, reject) => {
      pool.query('SELECT $1', [5], (err, res) => (err ? reject(err) : resolve(res.rows)));
    });
    expect(rows).toEqual([{ sql: 'SELECT $1', values: [5] }]);
    await pool.end();
  });

  it('rejects a function as first argument, asynchronously', async () => {
    const { pool } = setup();
    let sync = true;
    const err = await new Promise<Error>((resolve) => {
      (pool.query as unknown as (cb: (e: Error) => void) => void)((e) => resolve(e));
      sync = false;
    });
    expect(sync).toBe(false);
    expect(err.message).toBe('Passing a function as the first parameter to pool.query is not supported');
  });

  it('a query error destroys that client', async () => {
    const { pool, server } = setup();
    server.failQuery = /BROKEN/;
    const removed = new Promise((r) => pool.once('remove', r));
    await expect(pool.query('BROKEN')).rejects.toThrow(/syntax error/);
    expect(await removed).toBe(server.clients[0]);
    expect(pool.totalCount).toBe(0);
    await pool.end();
  });

  it('emits acquire and release(err, client) around each query', async () => {
    const { pool } = setup();
    const events: unknown[] = [];
    pool.on('acquire', (c) => events.push(['acquire', typeof c]));
    pool.on('release', (err, c) => events.push(['release', err, typeof c]));
    await pool.query('SELECT 1');
    expect(events).toEqual([
      ['acquire', 'object'],
      ['release', undefined, 'object'],
    ]);
    await pool.end();
  });
});

describe('PgPool: connect() and release()', () => {
  it('promise form gives a client with release()', async () => {
    const { pool } = setup();
    const client = await pool.connect();
    expect(typeof client.release).toBe('function');
    expect(pool.totalCount).toBe(1);
    client.release();
    await settle();
    expect(pool.idleCount).toBe(1);
    await pool.end();
  });

  it('callback form gives (err, client, release), asynchronously, and returns undefined', async () => {
    const { pool } = setup();
    let sync = true;
    const [err, client, release] = await new Promise<any[]>((resolve) => {
      const r = pool.connect((...args) => resolve(args));
      expect(r).toBeUndefined();
      sync = false;
    });
    expect(sync).toBe(false);
    expect(err).toBeUndefined();
    expect(release).toBe(client.release);
    release();
    await pool.end();
  });

  it("releasing twice throws pg.Pool's error", async () => {
    const { pool } = setup();
    const client = await pool.connect();
    client.release();
    expect(() => client.release()).toThrow('Release called on client which has already been released to the pool.');
    await pool.end();
  });

  it('a connect() release handed out stays spent after the client served pool.query()', async () => {
    const { pool } = setup({ max: 1 });
    const events: unknown[] = [];
    pool.on('release', (err) => events.push(err));
    const client = await pool.connect();
    const release = client.release;
    release();
    await pool.query('SELECT 1');
    expect(() => release()).toThrow('Release called on client which has already been released to the pool.');
    expect(pool.idleCount).toBe(1);
    await expect(pool.query('SELECT 2')).resolves.toBeTruthy();
    expect(events).toEqual([undefined, undefined, undefined]);
    await pool.end();
  });

  it('release(err) destroys the client; release(true) too', async () => {
    const { pool, server } = setup();
    const a = await pool.connect();
    const b = await pool.connect();
    const removed: unknown[] = [];
    pool.on('remove', (c) => removed.push(c));
    a.release(new Error('broken'));
    b.release(true);
    await settle();
    expect(removed).toEqual([server.clients[0], server.clients[1]]);
    expect(server.clients.every((c) => c.ended)).toBe(true);
    expect(pool.totalCount).toBe(0);
    await pool.end();
  });

  it('emits connect (new clients only), then acquire, with the client', async () => {
    const { pool } = setup();
    const events: string[] = [];
    pool.on('connect', () => events.push('connect'));
    pool.on('acquire', () => events.push('acquire'));
    const c = await pool.connect();
    c.release();
    await settle();
    const d = await pool.connect();
    d.release();
    expect(events).toEqual(['connect', 'acquire', 'acquire']);
    await pool.end();
  });

  it('reuses the idle client', async () => {
    const { pool, server } = setup();
    const a = await pool.connect();
    a.release();
    const b = await pool.connect();
    expect(b).toBe(a);
    expect(server.clients).toHaveLength(1);
    b.release();
    await pool.end();
  });

  it('counts: totalCount, idleCount, waitingCount', async () => {
    const { pool } = setup({ max: 1 });
    const a = await pool.connect();
    const waiting = pool.connect();
    await settle();
    expect([pool.totalCount, pool.idleCount, pool.waitingCount]).toEqual([1, 0, 1]);
    a.release();
    const b = await waiting;
    expect(b).toBe(a);
    expect(pool.waitingCount).toBe(0);
    b.release();
    await settle();
    expect([pool.totalCount, pool.idleCount, pool.waitingCount]).toEqual([1, 1, 0]);
    await pool.end();
  });

  it('clients are Disposable and AsyncDisposable', async () => {
    const { pool } = setup();
    {
      using client = await pool.connect();
      expect(pool.stats().borrowed).toBe(1);
      void client;
    }
    expect(pool.stats().borrowed).toBe(0);
    {
      await using client = await pool.connect();
      void client;
    }
    expect(pool.stats().borrowed).toBe(0);
    // disposing after an explicit release is a no-op, not a double release
    {
      using client = await pool.connect();
      client.release();
    }
    await pool.end();
  });

  it('connectionTimeoutMillis: a wait for a full pool rejects with a message containing "timeout"', async () => {
    const { pool } = setup({ max: 1, connectionTimeoutMillis: 30 });
    const a = await pool.connect();
    const err = await pool.connect().then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(AcquireTimeoutError);
    expect(err!.message).toMatch(/timeout/);
    expect(err!.message).toMatch(/timeout exceeded when trying to connect/);
    a.release();
    await pool.end();
  });

  it('connectionTimeoutMillis: a connection attempt that never completes fails with "timeout"', async () => {
    const { pool, server } = setup({ connectionTimeoutMillis: 50 });
    server.hang = true;
    const t0 = performance.now();
    const err = await pool.connect().then(
      () => null,
      (e: Error) => e,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(err!.message).toMatch(/timeout/);
    await settle();
    expect(server.clients[0]!.ended).toBe(true); // the socket was dropped
    server.hang = false;
    await pool.end();
  });

  it("a failed connection attempt rejects the pending connect() with the driver's error, at once", async () => {
    const { pool, server } = setup();
    server.connectError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = await pool.connect().then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err!.message).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(err!.code).toBe('ECONNREFUSED');
    await expect(pool.query('SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
    server.connectError = null;
    // the pool recovers once the server is back
    await expect(pool.query('SELECT 1')).resolves.toBeTruthy();
    await pool.end();
  });

  it('a failed attempt never fails a connect() that started after it (that one gets its own attempt)', async () => {
    // first caller gives up at 200 ms; its attempt fails at 300 ms; the second caller (from ~200 ms) waits until ~400 ms
    const { pool, server } = setup({
      acquireTimeoutMs: 200,
      createTimeoutMs: 10_000,
      createRetry: { baseMs: 5, capMs: 5 },
    });
    server.connectDelayMs = 300;
    server.connectError = new Error('refused once');
    const first = pool.connect().then(
      () => null,
      (e: Error) => e,
    );
    await new Promise((r) => setTimeout(r, 10));
    server.connectError = null; // only the first attempt fails
    server.connectDelayMs = 0;
    expect((await first)!.message).toMatch(/timeout/); // gave up before its attempt failed
    const second = await pool.connect(); // waiting when the first attempt fails
    expect(second).toBe(server.clients[1]);
    second.release();
    await pool.end();
  });

  it('onConnect runs on each new client before it is handed out; its rejection fails the connect', async () => {
    const seen: unknown[] = [];
    const { pool, server } = setup({
      onConnect: async (c: unknown) => {
        seen.push(c);
        if (seen.length === 2) throw new Error('onConnect refused');
      },
    });
    const a = await pool.connect();
    expect(seen).toEqual([a]);
    await expect(pool.connect()).rejects.toThrow('onConnect refused');
    await settle();
    expect(server.clients[1]!.ended).toBe(true);
    a.release();
    await pool.end();
  });

  it('verify(client, done) runs on new clients; done(err) fails that connect', async () => {
    let calls = 0;
    const { pool } = setup({
      verify: (_client: unknown, done: (err?: Error) => void) => {
        calls++;
        setImmediate(() => done(calls === 1 ? undefined : new Error('verify failed')));
      },
    });
    const a = await pool.connect();
    await expect(pool.connect()).rejects.toThrow('verify failed');
    a.release();
    await pool.query('SELECT 1'); // reuses a: no new verify
    expect(calls).toBe(2);
    await pool.end();
  });

  it('log receives pg-pool style messages', async () => {
    const log = vi.fn();
    const { pool } = setup({ log });
    await pool.query('SELECT 1');
    await pool.end();
    const messages = log.mock.calls.map((c) => c[0]);
    expect(messages).toEqual(
      expect.arrayContaining(['connecting new client', 'new client connected', 'dispatching query', 'ending']),
    );
  });
});

describe('PgPool: idle client errors', () => {
  it('removes the client first, then emits error(err, client) with err.client set', async () => {
    const { pool, server } = setup();
    await pool.query('SELECT 1');
    await settle();
    const seen = new Promise<[Error & { client?: unknown }, unknown, number]>((resolve) => {
      pool.on('error', (err, client) => resolve([err, client, pool.totalCount]));
    });
    server.clients[0]!.die();
    const [err, client, totalAtEmit] = await seen;
    expect(client).toBe(server.clients[0]);
    expect(err.client).toBe(client);
    expect(totalAtEmit).toBe(0);
    expect(err.message).toMatch(/administrator command/);
    await pool.end();
  });

  it('never crashes the process when nobody listens for error', async () => {
    const { pool, server } = setup();
    await pool.query('SELECT 1');
    await settle();
    expect(pool.listenerCount('error')).toBe(0);
    server.clients[0]!.die();
    await settle();
    expect(pool.totalCount).toBe(0);
    await expect(pool.query('SELECT 1')).resolves.toBeTruthy();
    await pool.end();
  });

  it('an error on a checked-out client is not a pool error; the client is destroyed on release', async () => {
    const { pool, server } = setup();
    const onError = vi.fn();
    pool.on('error', onError);
    const c = await pool.connect();
    server.clients[0]!.die();
    await settle();
    expect(onError).not.toHaveBeenCalled();
    c.release();
    await settle();
    expect(pool.totalCount).toBe(0);
    await pool.end();
  });

  it('a pool.query() whose client errors rejects with that error at once; the client is removed', async () => {
    const { pool, server } = setup();
    const onError = vi.fn();
    pool.on('error', onError);
    await pool.query('SELECT 1');
    const p = pool.query('SELECT 2');
    const client = server.clients[0]!;
    expect(client.listenerCount('error')).toBe(1); // the pool's own watch, nothing per query
    client.die();
    await expect(p).rejects.toThrow(/administrator command/);
    await settle();
    expect(onError).not.toHaveBeenCalled();
    expect(pool.totalCount).toBe(0);
    await expect(pool.query('SELECT 3')).resolves.toBeTruthy();
    await pool.end();
  });

  it('an acquire listener that throws fails that checkout; the client goes back to the pool', async () => {
    const { pool } = setup({ max: 1 });
    const boom = new Error('listener failed');
    const listener = (): void => {
      throw boom;
    };
    pool.on('acquire', listener);
    await expect(pool.query('SELECT 1')).rejects.toBe(boom);
    await expect(pool.connect()).rejects.toBe(boom);
    pool.off('acquire', listener);
    expect(pool.idleCount).toBe(1);
    await expect(pool.query('SELECT 1')).resolves.toBeTruthy();
    await pool.end();
  });
});

describe('PgPool: lifetime, uses, idle', () => {
  it('expiredCount counts checked-out clients past maxLifetimeSeconds; they close on release', async () => {
    const clock = new ManualClock();
    const { pool } = setup({ maxLifetimeSeconds: 1, clock, random: () => 0 });
    const c = await pool.connect();
    expect(pool.expiredCount).toBe(0);
    await clock.advance(1000);
    expect(pool.expiredCount).toBe(1);
    c.release();
    await settle();
    expect(pool.totalCount).toBe(0);
    expect(pool.expiredCount).toBe(0);
    await pool.end();
  });

  it('maxUses closes a client after that many checkouts', async () => {
    const { pool, server } = setup({ maxUses: 2 });
    await pool.query('SELECT 1');
    await pool.query('SELECT 1');
    await settle();
    expect(server.clients[0]!.ended).toBe(true);
    await pool.query('SELECT 1');
    expect(server.clients).toHaveLength(2);
    await pool.end();
  });

  it('idleTimeoutMillis closes idle clients above min', async () => {
    const clock = new ManualClock();
    const { pool, server } = setup({ idleTimeoutMillis: 1000, clock });
    await pool.query('SELECT 1');
    await settle();
    await clock.advance(1500);
    await settle();
    expect(server.clients[0]!.ended).toBe(true);
    expect(pool.totalCount).toBe(0);
    await pool.end();
  });

  it("allowExitOnIdle: idle clients are unref'd, checked-out ones ref'd", async () => {
    const { pool, server } = setup({ allowExitOnIdle: true });
    const c = await pool.connect();
    expect(server.clients[0]!.refed).toBe(true);
    c.release();
    expect(server.clients[0]!.refed).toBe(false);
    await pool.end();
  });

  it("without allowExitOnIdle idle clients stay ref'd (pg default)", async () => {
    const { pool, server } = setup();
    await pool.query('SELECT 1');
    expect(server.clients[0]!.refed).toBe(true);
    await pool.end();
  });
});

describe('PgPool: end()', () => {
  it('closes idle clients and emits remove for each', async () => {
    const { pool, server } = setup();
    const a = await pool.connect();
    const b = await pool.connect();
    a.release();
    b.release();
    await settle();
    const removed: unknown[] = [];
    pool.on('remove', (c) => removed.push(c));
    await pool.end();
    expect(removed).toHaveLength(2);
    expect(server.clients.every((c) => c.ended)).toBe(true);
    expect(pool.ending).toBe(true);
    expect(pool.ended).toBe(true);
  });

  it('waits for checked-out clients to come back', async () => {
    const { pool, server } = setup();
    const a = await pool.connect();
    let ended = false;
    const done = pool.end().then(() => (ended = true));
    await settle();
    expect(ended).toBe(false);
    a.release();
    await done;
    expect(server.clients[0]!.ended).toBe(true);
  });

  it('connect() and query() calls waiting at end() are served first (as in pg.Pool); calls after it are refused at once', async () => {
    const { pool, server } = setup({ max: 1 });
    const a = await pool.connect();
    const waiting = pool.connect();
    const query = pool.query('SELECT queued');
    await settle();
    expect(pool.waitingCount).toBe(2);
    let ended = false;
    const ending = pool.end().then(() => (ended = true));
    await expect(pool.connect()).rejects.toThrow('Cannot use a pool after calling end on the pool');
    await expect(pool.query('SELECT late')).rejects.toThrow('Cannot use a pool after calling end on the pool');
    a.release();
    const b = await waiting;
    expect(b).toBe(a); // the same client, handed on
    await settle();
    expect(ended).toBe(false); // the query still waits for it
    b.release();
    await expect(query).resolves.toBeTruthy();
    await ending;
    expect(server.log).toContain('SELECT queued');
    expect(server.log).not.toContain('SELECT late');
    expect(server.clients[0]!.ended).toBe(true);
  });

  it('close() is the bounded way: calls still waiting are rejected at once', async () => {
    const { pool } = setup({ max: 1 });
    const a = await pool.connect();
    const waiting = pool.connect().then(
      () => null,
      (e: Error) => e,
    );
    await settle();
    const closing = pool.close({ timeoutMs: 1000 });
    const err = await waiting;
    expect(err).toBeInstanceOf(PoolClosedError);
    expect(err!.message).toBe('Cannot use a pool after calling end on the pool');
    a.release();
    await closing;
  });

  it('an ended pool errors for connect, query and end (callbacks asynchronous)', async () => {
    const { pool } = setup();
    await pool.end();
    await expect(pool.connect()).rejects.toThrow('Cannot use a pool after calling end on the pool');
    await expect(pool.query('SELECT 1')).rejects.toThrow('Cannot use a pool after calling end on the pool');
    await expect(pool.end()).rejects.toThrow('Called end on pool more than once');
    let sync = true;
    const errs = await Promise.all([
      new Promise<Error>((r) => pool.connect((e) => r(e!))),
      new Promise<Error>((r) => pool.query('SELECT 1', (e) => r(e!))),
      new Promise<Error>((r) => pool.end((e) => r(e!))),
    ]);
    sync = false;
    void sync;
    expect(errs.map((e) => e.message)).toEqual([
      'Cannot use a pool after calling end on the pool',
      'Cannot use a pool after calling end on the pool',
      'Called end on pool more than once',
    ]);
  });

  it('end(callback) calls back once closed', async () => {
    const { pool } = setup();
    await pool.query('SELECT 1');
    const err = await new Promise((r) => pool.end(r));
    expect(err).toBeUndefined();
    expect(pool.ended).toBe(true);
  });

  it("close() is lido's bounded end(): destroys clients still out after timeoutMs", async () => {
    const { pool, server } = setup();
    await pool.connect();
    const report = await pool.close({ timeoutMs: 20 });
    expect(report.forced).toBe(1);
    expect(pool.ended).toBe(true);
    await settle();
    expect(server.clients[0]!.ended).toBe(true);
  });
});

describe('PgPool: lido additions', () => {
  it('exposes stats, health, advise, resize, config, name', async () => {
    const { pool } = setup({ name: 'orders' });
    await pool.query('SELECT 1');
    expect(pool.name).toBe('orders');
    expect(pool.stats()).toMatchObject({ name: 'orders', acquired: 1, released: 1, created: 1 });
    expect(pool.health().status).toBe('ok');
    expect(Array.isArray(pool.advise())).toBe(true);
    pool.resize({ max: 5 });
    expect(pool.stats().max).toBe(5);
    expect(pool.config()).toMatchObject({ name: 'orders', max: 5 });
    await pool.end();
  });

  it("core options are accepted under their own names and win over pg's", () => {
    const { Client } = fakePg();
    const pool = new PgPool(
      { connectionTimeoutMillis: 1000, acquireTimeoutMs: 2000, idleTimeoutMillis: 5, idleTimeoutMs: 0, maxWaiting: 3 },
      Client,
    );
    expect(pool.config()).toMatchObject({
      acquireTimeoutMs: 2000,
      createTimeoutMs: 1000,
      idleTimeoutMs: 0,
      maxWaiting: 3,
    });
  });

  it('use(fn) always releases', async () => {
    const { pool } = setup();
    const n = await pool.use(async (c) => (await c.query('SELECT 1')).rows.length);
    expect(n).toBe(1);
    await expect(
      pool.use(async () => {
        throw new Error('app bug');
      }),
    ).rejects.toThrow('app bug');
    expect(pool.stats().borrowed).toBe(0);
    expect(pool.totalCount).toBe(1); // an application error does not condemn the connection
    await pool.end();
  });

  it('await using pool closes it', async () => {
    const { Client } = fakePg();
    let ref: { ended: boolean } | undefined;
    {
      await using pool = new PgPool({}, Client);
      ref = pool;
      await pool.query('SELECT 1');
    }
    expect(ref!.ended).toBe(true);
  });
});

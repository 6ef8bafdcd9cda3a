/**
 * Errors of the adapters name where they were awaited, against the real PostgreSQL, Redis
 * and local HTTP servers: for every entry point an `outerFunction` → `innerFunction` →
 * pool call chain (node-postgres' async-stack-trace test, `SELECT test FROM nonexistent`
 * included) and the error's stack names both functions. The unit tests of the core's entry
 * points are in test/unit/errors/async-stacks.test.ts.
 */
import type { ServerResponse } from 'node:http';
import pg from 'pg';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AcquireTimeoutError, CreateError, PoolClosedError } from '../../src/index.js';
import { PgPool } from '../../src/adapters/pg/index.js';
import { RedisPool } from '../../src/adapters/redis/index.js';
import { HttpPool } from '../../src/adapters/http/index.js';
import { describeWithPostgres, describeWithRedis, type PostgresConfig, type RedisConfig } from '../support/services.js';
import { deferEach, startServer, waitFor, type TestServer } from './http-servers.js';
import { CALLER, chain, refusedPort } from '../support/caller-chain.js';

describeWithPostgres('PgPool: errors carry the caller’s async frames', (cfg: PostgresConfig) => {
  const conn = { host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database };
  const pools: PgPool<pg.Client>[] = [];
  const make = (options: ConstructorParameters<typeof PgPool<pg.Client>>[0] = {}) => {
    const pool = new PgPool<pg.Client>({ ...conn, application_name: 'lido-async-stacks', ...options }, pg.Client);
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => (p.ending ? undefined : p.end())));
  });

  it('query: a query error (SELECT test FROM nonexistent), on an idle client', async () => {
    const pool = make({ max: 1 });
    await pool.query('SELECT 1'); // one idle client
    const error = await chain(() => pool.query('SELECT test FROM nonexistent'));
    expect(error.message).toBe('relation "nonexistent" does not exist');
    expect(error.stack).toMatch(CALLER);
  });

  it('query: a query error, after waiting for a client', async () => {
    const pool = make({ max: 1 });
    const held = await pool.connect();
    const e = chain(() => pool.query('SELECT test FROM nonexistent'));
    await waitFor(() => pool.waitingCount === 1);
    held.release();
    expect((await e).stack).toMatch(CALLER);
  });

  it('query: a query error on a replica (readOnly)', async () => {
    const pool = make({ max: 1, replicas: [{ ...conn }] });
    const error = await chain(() => pool.query('SELECT test FROM nonexistent', [], { readOnly: true }));
    expect(error.message).toBe('relation "nonexistent" does not exist');
    expect(error.stack).toMatch(CALLER);
  });

  it('query and connect: connect timeout (connectionTimeoutMillis) while the only client is out', async () => {
    // The one connection is opened first (ready(), under a roomy create timeout): the 50 ms
    // bound only the waits, however long a connection takes to open on a busy machine.
    const pool = make({ max: 1, min: 1, connectionTimeoutMillis: 50, createTimeoutMs: 30_000 });
    await pool.ready();
    const held = await pool.connect();
    const q = await chain(() => pool.query('SELECT 1'));
    const c = await chain(() => pool.connect());
    held.release();
    expect(q).toBeInstanceOf(AcquireTimeoutError);
    expect(q.message).toMatch(/^timeout exceeded when trying to connect/);
    expect(q.stack).toMatch(CALLER);
    expect(c).toBeInstanceOf(AcquireTimeoutError);
    expect(c.stack).toMatch(CALLER);
  });

  it('query and connect: the connection attempt fails (refused)', async () => {
    const pool = make({ port: await refusedPort(), max: 1 });
    const q = await chain(() => pool.query('SELECT 1'));
    expect(q.message).toMatch(/ECONNREFUSED/);
    expect(q.stack).toMatch(CALLER);
    const c = await chain(() => pool.connect());
    expect(c.message).toMatch(/ECONNREFUSED/);
    expect(c.stack).toMatch(CALLER);
  });

  it('query and connect: an ended pool', async () => {
    const pool = make();
    await pool.end();
    const q = await chain(() => pool.query('SELECT 1'));
    expect(q.message).toBe('Cannot use a pool after calling end on the pool');
    expect(q.stack).toMatch(CALLER);
    const c = await chain(() => pool.connect());
    expect(c).toBeInstanceOf(PoolClosedError);
    expect(c.stack).toMatch(CALLER);
  });

  it('use: a query error inside the callback', async () => {
    const pool = make({ max: 1 });
    const error = await chain(() => pool.use((client) => client.query('SELECT test FROM nonexistent')));
    expect(error.stack).toMatch(CALLER);
  });
});

describeWithRedis('RedisPool: errors carry the caller’s async frames', (cfg: RedisConfig) => {
  const pools: RedisPool<Redis>[] = [];
  const make = (options: ConstructorParameters<typeof RedisPool<Redis>>[0] = {}) => {
    const pool = new RedisPool<Redis>({ Redis, redis: cfg.url, ...options });
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 1_000 })));
  });

  it('use: a command error (an unknown command)', async () => {
    const pool = make({ max: 1 });
    const error = await chain(() => pool.use((redis) => redis.call('LIDO_NO_SUCH_COMMAND')));
    expect(error.message).toMatch(/unknown command/i);
    expect(error.stack).toMatch(CALLER);
  });

  it('use: a command error (WRONGTYPE), after waiting for a connection', async () => {
    const pool = make({ max: 1 });
    const key = `lido:async-stacks:${process.pid}`;
    await pool.use((r) => r.set(key, 'x', 'EX', 10));
    const held = await pool.acquire();
    const e = chain(() => pool.use((redis) => redis.lpush(key, 'y')));
    await waitFor(() => pool.stats().pending === 1);
    held.release();
    const error = await e;
    expect(error.message).toMatch(/WRONGTYPE/);
    expect(error.stack).toMatch(CALLER);
  });

  it('acquire and use: timeout', async () => {
    const pool = make({ max: 1, acquireTimeoutMs: 50 });
    const held = await pool.acquire({ timeoutMs: 30_000 }); // opening it may take longer than 50 ms
    const a = await chain(() => pool.acquire());
    const u = await chain(() => pool.use((r) => r.ping()));
    held.release();
    expect(a).toBeInstanceOf(AcquireTimeoutError);
    expect(a.stack).toMatch(CALLER);
    expect(u).toBeInstanceOf(AcquireTimeoutError);
    expect(u.stack).toMatch(CALLER);
  });

  it('acquire: create failure (refused) with failFast', async () => {
    const pool = make({ redis: `redis://127.0.0.1:${await refusedPort()}`, failFast: true, acquireTimeoutMs: 5_000 });
    const error = await chain(() => pool.acquire());
    expect(error).toBeInstanceOf(CreateError);
    expect(error.stack).toMatch(CALLER);
  });
});

describe('HttpPool: its own errors carry the caller’s async frames', () => {
  const cleanup = deferEach();

  /** A server whose `/hold` requests wait until the test ends. */
  async function holdingServer(): Promise<TestServer & { held: ServerResponse[] }> {
    const held: ServerResponse[] = [];
    const s = await startServer({
      handler: (req, res) => (req.url === '/hold' ? held.push(res) : res.end('ok')),
    });
    cleanup(async () => {
      for (const r of held.splice(0)) r.end();
      await s.close();
    });
    return Object.assign(s, { held });
  }

  function pool(options: ConstructorParameters<typeof HttpPool>[0]): HttpPool {
    const p = new HttpPool(options);
    cleanup(() => p.destroy());
    return p;
  }

  it('request: queue timeout (acquireTimeoutMs)', async () => {
    const s = await holdingServer();
    const p = pool({ max: 1, acquireTimeoutMs: 500 }); // room to open the first connection on a busy machine
    void request(`${s.origin}/hold`, { dispatcher: p }).catch(() => {});
    await waitFor(() => s.held.length === 1);
    const error = await chain(() => request(`${s.origin}/x`, { dispatcher: p }));
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect(error.stack).toMatch(CALLER);
  });

  it('request: the pool is closed', async () => {
    const s = await holdingServer();
    const p = pool({ max: 1 });
    await p.close();
    const error = await chain(() => request(`${s.origin}/x`, { dispatcher: p }));
    expect(error.name).toBe('ClientClosedError');
    expect(error.stack).toMatch(CALLER);
  });

  it('request: the pool is destroyed while the request waits', async () => {
    const s = await holdingServer();
    const p = pool({ max: 1 });
    void request(`${s.origin}/hold`, { dispatcher: p }).catch(() => {});
    await waitFor(() => s.held.length === 1);
    const e = chain(() => request(`${s.origin}/x`, { dispatcher: p }));
    await waitFor(() => p.stats().total.pending === 1);
    void p.destroy();
    const error = await e;
    expect(error.name).toBe('ClientDestroyedError');
    expect(error.stack).toMatch(CALLER);
  });

  it('request: queue full (maxWaiting)', async () => {
    const s = await holdingServer();
    const p = pool({ origins: { [s.origin]: { min: 1, max: 1, maxWaiting: 0 } } });
    await p.ready();
    void request(`${s.origin}/hold`, { dispatcher: p }).catch(() => {});
    await waitFor(() => s.held.length === 1);
    const error = await chain(() => request(`${s.origin}/x`, { dispatcher: p }));
    expect(error.name).toBe('QueueFullError');
    expect(error.stack).toMatch(CALLER);
  });
});

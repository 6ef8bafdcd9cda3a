/**
 * poolOptionsFromEnv against the real services, as a service sets it up: the SQLAlchemy
 * names a Python team already has in its environment, spread into a PgPool and a
 * RedisPool next to the connection string.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { poolOptionsFromEnv } from '../../src/index.js';
import { PgPool } from '../../src/adapters/pg/index.js';
import { RedisPool } from '../../src/adapters/redis/index.js';
import { describeWithServices } from '../support/services.js';

describeWithServices('poolOptionsFromEnv with PgPool and RedisPool', ({ postgres, redis }) => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it('PgPool: { ...poolOptionsFromEnv("DATABASE_POOL"), connectionString } sizes and times the pool', async () => {
    const env = {
      DATABASE_POOL_SIZE: '2',
      DATABASE_POOL_OVERFLOW: '1',
      DATABASE_POOL_TIMEOUT: '5',
      DATABASE_POOL_RECYCLE: '3600',
      DATABASE_POOL_PRE_PING: 'true',
      DATABASE_URL: postgres.connectionString, // a connection variable: neither read nor reported
    };
    const db = new PgPool(
      { ...poolOptionsFromEnv('DATABASE_POOL', env), connectionString: env.DATABASE_URL },
      pg.Client,
    );
    closers.push(() => db.end());
    await db.ready(); // opens `min` (DATABASE_POOL_SIZE) connections
    expect(db.totalCount).toBe(2);
    const held = await Promise.all([db.connect(), db.connect(), db.connect()]);
    expect(db.totalCount).toBe(3); // SIZE + OVERFLOW
    for (const c of held) c.release();
    expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(db.config()).toMatchObject({ min: 2, max: 3, acquireTimeoutMs: 5_000, maxLifetimeMs: 3_600_000 });
  });

  it('RedisPool: REDIS_MAX_CONNECTIONS and REDIS_POOL_* beside REDIS_URL', async () => {
    const env = { REDIS_URL: redis.url, REDIS_MAX_CONNECTIONS: '2', REDIS_TIMEOUT: '0.2' };
    const pool = new RedisPool({ ...poolOptionsFromEnv('REDIS', env), Redis, redis: env.REDIS_URL });
    closers.push(() => pool.close({ timeoutMs: 2_000 }));
    // Opening a connection may take longer than 0.2 s on a busy machine: these two wait longer.
    const a = await pool.acquire({ timeoutMs: 30_000 });
    const b = await pool.acquire({ timeoutMs: 30_000 });
    // max 2 from REDIS_MAX_CONNECTIONS, and the third waits REDIS_TIMEOUT (0.2 s) only
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'ERR_POOL_ACQUIRE_TIMEOUT' });
    a.release();
    b.release();
    expect(pool.config()).toMatchObject({
      max: 2,
      acquireTimeoutMs: 200,
      fromEnv: { max: 'REDIS_MAX_CONNECTIONS', acquireTimeoutMs: 'REDIS_TIMEOUT' },
    });
  });
});

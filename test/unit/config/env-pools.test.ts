/**
 * Every pool takes what poolOptionsFromEnv returns, spread into its options, and its
 * config() says which option came from which variable (`fromEnv`). The kill switch
 * (`pooling: false`, from `_DISABLED=1`) is tested with the pools' `pooling` option.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Pool, poolOptionsFromEnv } from '../../../src/index.js';
import { HttpPool } from '../../../src/adapters/http/index.js';
import { PgPool } from '../../../src/adapters/pg/index.js';
import { RedisPool } from '../../../src/adapters/redis/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { TestFactory } from '../../support/test-factory.js';
import { FakeUndici } from '../http/fake-undici.js';
import { fakePg } from '../pg/fake-client.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Every variable but `_DISABLED`, in lido's names; `min` 0 so nothing connects. */
const LIDO_ENV = {
  APP_POOL_MIN: '0',
  APP_POOL_MAX: '3',
  APP_POOL_ACQUIRE_TIMEOUT_MS: '1500',
  APP_POOL_IDLE_TIMEOUT_MS: '60000',
  APP_POOL_MAX_LIFETIME_MS: '120000',
  APP_POOL_VALIDATE_AFTER_IDLE_MS: '0',
  APP_POOL_MAX_WAITING: '50',
  APP_POOL_ORDER: 'fifo',
};
const LIDO_OPTIONS = {
  min: 0,
  max: 3,
  acquireTimeoutMs: 1500,
  idleTimeoutMs: 60_000,
  maxLifetimeMs: 120_000,
  validateAfterIdleMs: 0,
  maxWaiting: 50,
  order: 'fifo',
};
const LIDO_SOURCES = {
  min: 'APP_POOL_MIN',
  max: 'APP_POOL_MAX',
  acquireTimeoutMs: 'APP_POOL_ACQUIRE_TIMEOUT_MS',
  idleTimeoutMs: 'APP_POOL_IDLE_TIMEOUT_MS',
  maxLifetimeMs: 'APP_POOL_MAX_LIFETIME_MS',
  validateAfterIdleMs: 'APP_POOL_VALIDATE_AFTER_IDLE_MS',
  maxWaiting: 'APP_POOL_MAX_WAITING',
  order: 'APP_POOL_ORDER',
};

/** The SQLAlchemy names, as a Python service sets them. */
const ALCHEMY_ENV = {
  DATABASE_POOL_SIZE: '2',
  DATABASE_POOL_OVERFLOW: '3',
  DATABASE_POOL_TIMEOUT: '30',
  DATABASE_POOL_RECYCLE: '3600',
  DATABASE_POOL_PRE_PING: 'true',
  DATABASE_POOL_USE_LIFO: 'false',
};

describe('Pool', () => {
  it('takes the lido names; config() shows each option and where it came from', async () => {
    const clock = new ManualClock();
    const pool = new Pool({ ...poolOptionsFromEnv('APP_POOL', LIDO_ENV), factory: new TestFactory(), clock });
    closers.push(async () => {
      const closed = pool.close({ timeoutMs: 0 });
      await clock.advance(1);
      await closed;
    });
    expect(pool.config()).toMatchObject({ ...LIDO_OPTIONS, fromEnv: LIDO_SOURCES });
  });

  it('takes the SQLAlchemy names', async () => {
    const clock = new ManualClock();
    const pool = new Pool({ ...poolOptionsFromEnv('DATABASE_POOL', ALCHEMY_ENV), factory: new TestFactory(), clock });
    closers.push(async () => {
      const closed = pool.close({ timeoutMs: 0 });
      await clock.advance(1);
      await closed;
    });
    await pool.ready();
    expect(pool.stats()).toMatchObject({ size: 2, min: 2, max: 5 });
    expect(pool.config()).toMatchObject({
      min: 2,
      max: 5,
      acquireTimeoutMs: 30_000,
      maxLifetimeMs: 3_600_000,
      validateAfterIdleMs: 0,
      order: 'fifo',
      fromEnv: {
        min: 'DATABASE_POOL_SIZE',
        max: 'DATABASE_POOL_SIZE + DATABASE_POOL_OVERFLOW',
        acquireTimeoutMs: 'DATABASE_POOL_TIMEOUT',
        maxLifetimeMs: 'DATABASE_POOL_RECYCLE',
        validateAfterIdleMs: 'DATABASE_POOL_PRE_PING',
        order: 'DATABASE_POOL_USE_LIFO',
      },
    });
  });

  it('an option the code sets after the spread wins, and is not credited to the environment', async () => {
    const pool = new Pool({ ...poolOptionsFromEnv('APP_POOL', LIDO_ENV), max: 7, factory: new TestFactory() });
    closers.push(() => pool.close());
    expect(pool.config()).toMatchObject({ max: 7 });
    expect(pool.config().fromEnv).not.toHaveProperty('max');
    expect(pool.config().fromEnv).toHaveProperty('min', 'APP_POOL_MIN');
  });

  it('a pool made without the environment shows no fromEnv', async () => {
    const pool = new Pool({ factory: new TestFactory(), max: 2 });
    closers.push(() => pool.close());
    expect(pool.config().fromEnv).toBeUndefined();
    expect(Object.keys(pool.config())).not.toContain('fromEnv');
  });
});

describe('RedisPool', () => {
  it('takes the result (REDIS_MAX_CONNECTIONS style) and shows fromEnv beside the redacted connection', async () => {
    const pool = new RedisPool({
      ...poolOptionsFromEnv('REDIS', { REDIS_MAX_CONNECTIONS: '8', REDIS_TIMEOUT: '2', REDIS_URL: 'ignored' }),
      Redis,
      redis: 'redis://:hunter2@127.0.0.1:6379/3',
    });
    closers.push(() => pool.close());
    const config = pool.config();
    expect(config).toMatchObject({
      max: 8,
      acquireTimeoutMs: 2000,
      fromEnv: { max: 'REDIS_MAX_CONNECTIONS', acquireTimeoutMs: 'REDIS_TIMEOUT' },
    });
    expect(JSON.stringify(config)).not.toContain('hunter2');
  });

  it('takes every lido name', async () => {
    const pool = new RedisPool({ ...poolOptionsFromEnv('APP_POOL', LIDO_ENV), Redis, redis: 'redis://127.0.0.1:6379' });
    closers.push(() => pool.close());
    expect(pool.config()).toMatchObject({ ...LIDO_OPTIONS, fromEnv: LIDO_SOURCES });
  });
});

describe('HttpPool', () => {
  it('takes the result as the options of every origin; config() shows them and fromEnv', async () => {
    const world = new FakeUndici();
    const pool = new HttpPool({ ...poolOptionsFromEnv('APP_POOL', LIDO_ENV), undici: world.module });
    closers.push(() => pool.destroy());
    expect(pool.config()).toMatchObject({ name: 'http', ...LIDO_OPTIONS, fromEnv: LIDO_SOURCES, origins: {} });
  });

  it('shows each listed origin, and socket options by name only', async () => {
    const world = new FakeUndici();
    const pool = new HttpPool({
      undici: world.module,
      max: 4,
      connect: { rejectUnauthorized: false, key: 'PRIVATE KEY', passphrase: 'pw' },
      origins: { 'https://api.example.com:443': { min: 0, max: 9, acquireTimeoutMs: 100 } },
    });
    closers.push(() => pool.destroy());
    const config = pool.config();
    expect(config).toMatchObject({
      max: 4,
      idleTimeoutMs: 4_000,
      acquireTimeoutMs: 30_000,
      connect: ['rejectUnauthorized', 'key', 'passphrase'],
      origins: { 'https://api.example.com': { max: 9, acquireTimeoutMs: 100, idleTimeoutMs: 4_000 } },
    });
    expect(config).not.toHaveProperty('fromEnv');
    expect(JSON.stringify(config)).not.toMatch(/PRIVATE KEY|"pw"/);
  });
});

describe('PgPool', () => {
  it('takes { ...poolOptionsFromEnv(), connectionString } in both naming styles', async () => {
    for (const [prefix, env] of [
      ['DATABASE_POOL', ALCHEMY_ENV],
      ['APP_POOL', LIDO_ENV],
    ] as const) {
      const { Client, server } = fakePg();
      const pool = new PgPool(
        { ...poolOptionsFromEnv(prefix, env), connectionString: 'postgres://app:hunter2@db/app' },
        Client,
      );
      closers.push(() => pool.end());
      const expected =
        prefix === 'APP_POOL'
          ? { ...LIDO_OPTIONS, fromEnv: LIDO_SOURCES }
          : {
              min: 2,
              max: 5,
              acquireTimeoutMs: 30_000,
              fromEnv: {
                min: 'DATABASE_POOL_SIZE',
                max: 'DATABASE_POOL_SIZE + DATABASE_POOL_OVERFLOW',
                acquireTimeoutMs: 'DATABASE_POOL_TIMEOUT',
              },
            };
      expect(pool.config()).toMatchObject(expected);
      expect(JSON.stringify(pool.config())).not.toContain('hunter2');
      await pool.query('SELECT 1');
      expect(server.clients[0]!.config.connectionString).toBe('postgres://app:hunter2@db/app');
    }
  });
});

describe('_DISABLED=1 (the kill switch) on every pool class', () => {
  const env = { APP_POOL_DISABLED: '1', APP_POOL_MAX: '2' };
  it('Pool, PgPool, RedisPool and HttpPool take it and switch pooling off', async () => {
    const options = poolOptionsFromEnv('APP_POOL', env);
    expect(Object.fromEntries(Object.entries(options))).toEqual({ pooling: false, max: 2 });
    const clock = new ManualClock();
    const pool = new Pool({ ...options, factory: new TestFactory(), clock });
    const { Client } = fakePg();
    const pg = new PgPool({ ...options, clock }, Client);
    const redis = new RedisPool({ ...options, Redis, redis: 'redis://127.0.0.1:1/0', clock });
    const http = new HttpPool({ ...options, undici: new FakeUndici().module, clock });
    closers.push(
      () => pool.close(),
      () => pg.end(),
      () => redis.close(),
      () => http.destroy(),
    );
    for (const p of [pool, pg, redis]) {
      expect(p.config()).toMatchObject({ pooling: false, max: 2, fromEnv: { pooling: 'APP_POOL_DISABLED' } });
    }
    expect(http.config()).toMatchObject({ pooling: false });
    await pg.query('SELECT 1');
    expect(pg.stats().destroyedBy.unpooled).toBe(1);
  });
});

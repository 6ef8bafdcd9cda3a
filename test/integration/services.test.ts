/**
 * The test services themselves: proves that the integration project really reaches
 * PostgreSQL and Redis (and fails in CI when it cannot). See docs/testing.md.
 */
import { expect, it } from 'vitest';
import {
  describeWithPostgres,
  describeWithRedis,
  pgQuery,
  postgresFromEnv,
  redisCommand,
  redisFromEnv,
  withPgClient,
  withRedis,
} from '../support/services.js';

describeWithPostgres('PostgreSQL test service', (pg) => {
  it('answers SELECT 1', async () => {
    const rows = await pgQuery<{ one: number }>('SELECT 1 AS one', [], pg);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it('is the configured database, reached as the configured user', async () => {
    await withPgClient(async (client) => {
      const { rows } = await client.query<{ db: string; usr: string }>(
        'SELECT current_database() AS db, current_user AS usr',
      );
      expect(rows[0]).toEqual({ db: pg.database, usr: pg.user });
    }, pg);
  });
});

describeWithRedis('Redis test service', (redis) => {
  it('answers PING', async () => {
    await withRedis(async (client) => {
      expect(await client.ping()).toBe('PONG');
    }, redis);
  });

  it('round-trips a key', async () => {
    const key = `lido:test:services:${process.pid}:${Date.now()}`;
    expect(await redisCommand('SET', key, 'v', 'PX', 10_000)).toBe('OK');
    expect(await redisCommand('GET', key)).toBe('v');
    expect(await redisCommand('DEL', key)).toBe(1);
  });
});

it('reads service addresses from the environment, with the documented defaults', () => {
  expect(postgresFromEnv({})).toEqual({
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    password: '',
    database: 'test',
    connectionString: 'postgres://postgres@127.0.0.1:5432/test',
  });
  expect(postgresFromEnv({ DATABASE_URL: 'postgresql://u:p%40ss@db.local:6543/app' })).toMatchObject({
    host: 'db.local',
    port: 6543,
    user: 'u',
    password: 'p@ss',
    database: 'app',
  });
  expect(postgresFromEnv({ PGHOST: 'h', PGPORT: '5433', PGUSER: 'me', PGPASSWORD: 'x', PGDATABASE: 'd' })).toEqual({
    host: 'h',
    port: 5433,
    user: 'me',
    password: 'x',
    database: 'd',
    connectionString: 'postgres://me:x@h:5433/d',
  });
  expect(() => postgresFromEnv({ PGPORT: 'abc' })).toThrow(/PGPORT: expected a TCP port, got "abc"/);
  expect(redisFromEnv({})).toEqual({ host: '127.0.0.1', port: 6379, url: 'redis://127.0.0.1:6379' });
  expect(redisFromEnv({ REDIS_URL: 'redis://cache:6380/2' })).toEqual({
    host: 'cache',
    port: 6380,
    url: 'redis://cache:6380/2',
  });
  expect(redisFromEnv({ REDIS_HOST: '::1', REDIS_PORT: '7000' })).toEqual({
    host: '::1',
    port: 7000,
    url: 'redis://[::1]:7000',
  });
});

/**
 * lido/admin's names for dashboards: `/optimize` (the same answer as `/advice`) and
 * `/stats?group=kind` (pools by kind, with every pool's recommendations); `/config`
 * showing which options came from the environment.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Pool, PoolOptionsError, poolOptionsFromEnv } from '../../../src/index.js';
import { HttpPool } from '../../../src/adapters/http/index.js';
import { PgPool } from '../../../src/adapters/pg/index.js';
import { RedisPool } from '../../../src/adapters/redis/index.js';
import { serve as serveOn } from './admin-server.js';
import { createAdminHandler, type AdminPool } from '../../../src/observability/admin/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { TestFactory } from '../../support/test-factory.js';
import { FakeUndici } from '../http/fake-undici.js';
import { fakePg } from '../pg/fake-client.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const serve = (handler: Parameters<typeof serveOn>[0]) => serveOn(handler, cleanups);

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, body: text === '' ? null : JSON.parse(text) };
}

function corePool(name: string, options: object = {}): Pool<unknown> {
  const clock = new ManualClock();
  const pool = new Pool<unknown>({ factory: new TestFactory(), clock, name, max: 4, ...options });
  cleanups.push(async () => {
    const closed = pool.close({ timeoutMs: 0 });
    await clock.advance(1);
    await closed;
  });
  return pool;
}

/** A pool of the admin handler's own shape, with advice fixed by the test. */
function fakePool(name: string, advice: unknown[] | (() => never), stats: () => unknown = () => ({ size: 1 })) {
  return {
    name,
    stats,
    advise: typeof advice === 'function' ? advice : () => advice,
  } as unknown as AdminPool;
}

describe('GET /optimize', () => {
  it('answers exactly as /advice, for every method rule and ?pool=', async () => {
    const pools = [
      fakePool('a', [{ severity: 'warning', issue: 'waits', suggestion: 'raise max', option: 'max', value: 8 }]),
      fakePool('b', []),
    ];
    const base = await serve(createAdminHandler({ pools, basePath: '/connection-pools' }));
    const optimize = await get(`${base}/connection-pools/optimize`);
    expect(optimize.status).toBe(200);
    expect(optimize.body).toEqual((await get(`${base}/connection-pools/advice`)).body);
    expect(optimize.body.pools[0]).toEqual({
      name: 'a',
      advice: [{ severity: 'warning', issue: 'waits', suggestion: 'raise max', option: 'max', value: 8 }],
    });
    expect((await get(`${base}/connection-pools/optimize?pool=b`)).body).toEqual({
      pools: [{ name: 'b', advice: [] }],
    });
    expect((await get(`${base}/connection-pools/optimize`, { method: 'POST' })).status).toBe(405);
  });
});

describe('GET /stats?group=kind', () => {
  it('groups pools by kind, keyed by name, with every recommendation beside them', async () => {
    const world = new FakeUndici();
    const httpPool = new HttpPool({ undici: world.module, name: 'api' });
    cleanups.push(() => httpPool.destroy());
    const redisPool = new RedisPool({ Redis, redis: 'redis://:hunter2@127.0.0.1:6379/2', name: 'jobs' });
    cleanups.push(() => redisPool.close());
    const pgPool = new PgPool({ name: 'db', connectionString: 'postgres://app:hunter2@db/app' }, fakePg().Client);
    cleanups.push(() => pgPool.end());
    const mine = corePool('sockets');
    const tenantsDb = corePool('tenants-db');
    const advising = fakePool('advising', [
      { severity: 'info', issue: 'idle connections', suggestion: 'lower min', option: 'min', value: 1, evidence: 'e' },
      {
        severity: 'critical',
        issue: 'creates fail: postgres://app:hunter2@db/x refused',
        suggestion: 'check the database',
        evidence: 'e',
      },
    ]);
    const base = await serve(
      createAdminHandler({
        pools: [mine, pgPool, redisPool, httpPool, { pool: tenantsDb, kind: 'database' }, advising],
      }),
    );
    const { status, body } = await get(`${base}/stats?group=kind`);
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual([
      'database_pools',
      'redis_pools',
      'http_pools',
      'other_pools',
      'recommendations',
    ]);
    expect(Object.keys(body.database_pools)).toEqual(['db', 'tenants-db']);
    expect(body.database_pools.db).toMatchObject({ name: 'db', max: 10 });
    expect(Object.keys(body.redis_pools)).toEqual(['jobs']);
    expect(Object.keys(body.http_pools)).toEqual(['api']);
    expect(Object.keys(body.other_pools)).toEqual(['sockets', 'advising']);
    expect(body.database_pools['tenants-db']).toMatchObject({ name: 'tenants-db', max: 4, size: 0 });
    expect(body.redis_pools.jobs).toMatchObject({ name: 'jobs', size: 0 });
    expect(body.http_pools.api).toHaveProperty('total');
    // The most severe first; the pool's name first in each; secrets removed from the text.
    expect(body.recommendations).toEqual([
      {
        pool: 'advising',
        severity: 'critical',
        issue: 'creates fail: postgres://app:[redacted]@db/x refused',
        suggestion: 'check the database',
        evidence: 'e',
      },
      {
        pool: 'advising',
        severity: 'info',
        issue: 'idle connections',
        suggestion: 'lower min',
        option: 'min',
        value: 1,
        evidence: 'e',
      },
    ]);
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  it('keeps the order of pools within a severity, and takes ?pool=', async () => {
    const w = (issue: string) => ({ severity: 'warning', issue, suggestion: 's' });
    const pools = [
      fakePool('p1', [w('one')]),
      fakePool('p2', [{ severity: 'critical', issue: 'c', suggestion: 's' }, w('two')]),
    ];
    const base = await serve(createAdminHandler({ pools }));
    const all = await get(`${base}/stats?group=kind`);
    expect(all.body.recommendations.map((r: { pool: string; issue: string }) => `${r.pool}:${r.issue}`)).toEqual([
      'p2:c',
      'p1:one',
      'p2:two',
    ]);
    const one = await get(`${base}/stats?group=kind&pool=p1`);
    expect(one.body).toEqual({
      database_pools: {},
      redis_pools: {},
      http_pools: {},
      other_pools: { p1: { size: 1 } },
      recommendations: [{ pool: 'p1', severity: 'warning', issue: 'one', suggestion: 's' }],
    });
  });

  it('a pool whose stats() or advise() throws is reported in place, the others still served', async () => {
    const pools = [
      fakePool('broken-stats', [], () => {
        throw new Error('stats failed for redis://:pw@h');
      }),
      fakePool('broken-advice', () => {
        throw new Error('no advice');
      }),
      fakePool('fine', []),
    ];
    const base = await serve(createAdminHandler({ pools }));
    const { status, body } = await get(`${base}/stats?group=kind`);
    expect(status).toBe(200);
    expect(body.other_pools).toEqual({
      'broken-stats': { error: 'stats failed for redis://:[redacted]@h' },
      'broken-advice': { size: 1 },
      fine: { size: 1 },
    });
    expect(body.recommendations).toEqual([
      {
        pool: 'broken-advice',
        severity: 'warning',
        issue: 'advice unavailable: advise() threw: no advice',
        suggestion: "GET /advice?pool=broken-advice shows the same error; look at the pool's logs",
      },
    ]);
  });

  it('/stats without group keeps its shape; an unknown group is a 400 naming it', async () => {
    const base = await serve(createAdminHandler({ pools: [corePool('main')] }));
    const plain = await get(`${base}/stats`);
    expect(Object.keys(plain.body)).toEqual(['time', 'pools']);
    expect(plain.body.pools[0]).toMatchObject({ name: 'main', stats: { name: 'main' } });
    const bad = await get(`${base}/stats?group=driver`);
    expect(bad).toEqual({ status: 400, body: { error: 'group: expected "kind", got "driver"' } });
  });

  it('checks { pool, kind } entries', () => {
    const pool = fakePool('p', []);
    expect(() => createAdminHandler({ pools: [{ pool, kind: 'mysql' as never }] })).toThrow(
      new PoolOptionsError('pools[0].kind: expected "database", "redis", "http", "other", got "mysql"'),
    );
    expect(() => createAdminHandler({ pools: [{ pool, kind: 'database', extra: 1 } as never] })).toThrow(
      /pools\[0\]: unknown option "extra"/,
    );
    expect(() => createAdminHandler({ pools: [{ pool: null, kind: 'database' } as never] })).toThrow(
      'pools[0].pool: expected a pool (an object with name and stats()), got null',
    );
    expect(() => createAdminHandler({ pools: [pool, { pool, kind: 'redis' }] })).toThrow(
      'pools[1].pool.name: expected unique pool names, got "p" twice',
    );
  });
});

describe('GET /config', () => {
  it('shows which options came from which environment variable', async () => {
    const pool = corePool(
      'from-env',
      poolOptionsFromEnv('ADMIN_POOL', { ADMIN_POOL_SIZE: '1', ADMIN_POOL_OVERFLOW: '2' }),
    );
    const base = await serve(createAdminHandler({ pools: [pool] }));
    const { body } = await get(`${base}/config`);
    expect(body.pools[0].config).toMatchObject({
      min: 1,
      max: 3,
      fromEnv: { min: 'ADMIN_POOL_SIZE', max: 'ADMIN_POOL_SIZE + ADMIN_POOL_OVERFLOW' },
    });
  });
});

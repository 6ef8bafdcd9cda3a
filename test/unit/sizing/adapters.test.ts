// autoSize where pools are made for the user: each key of a KeyedPool (under maxTotal),
// PgPool (on a fake pg client), RedisPool and HttpPool (options passed to their core pools).
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PgPool } from '../../../src/adapters/pg/index.js';
import { HttpPool } from '../../../src/adapters/http/index.js';
import { RedisPool } from '../../../src/adapters/redis/index.js';
import { KeyedPool } from '../../../src/keyed/keyed-pool.js';
import { ManualClock } from '../../support/manual-clock.js';
import { fakePg } from '../pg/fake-client.js';
import { sleep } from './workload.js';

describe('autoSize in a KeyedPool (perKey)', () => {
  it("sizes each key's pool on its own load, all under maxTotal", async () => {
    const clock = new ManualClock();
    let seq = 0;
    const keyed = new KeyedPool<string, { id: number }>({
      factory: () => ({ create: async () => ({ id: ++seq }), destroy: () => {} }),
      perKey: { max: 32, autoSize: true, acquireTimeoutMs: Infinity },
      maxTotal: 40,
      clock,
    });
    let stop = false;
    const loop = async (key: string): Promise<void> => {
      while (!stop) await keyed.use(key, () => sleep(clock, 20)).catch(() => (stop = true));
    };
    const busy = Array.from({ length: 48 }, () => loop('busy'));
    const quiet = Array.from({ length: 2 }, () => loop('quiet'));
    const peaks: number[] = [];
    for (let i = 0; i < 30; i++) {
      await clock.advance(500);
      peaks.push(keyed.stats().live);
    }
    const byKey = Object.fromEntries(keyed.stats().perKey.map((s) => [s.key, s]));
    expect(byKey.busy.limit).toBeGreaterThanOrEqual(16);
    expect(byKey.quiet.limit).toBeLessThanOrEqual(4);
    expect(Math.max(...peaks)).toBeLessThanOrEqual(40);
    stop = true;
    await clock.advance(1_000);
    await Promise.all([...busy, ...quiet]);
    await keyed.close();
  });

  it('rejects bad tuning under perKey, naming it', () => {
    expect(
      () =>
        new KeyedPool({
          factory: () => ({ create: async () => 1, destroy: () => {} }),
          perKey: { autoSize: { headroom: 9 } },
        }),
    ).toThrow('perKey.autoSize.headroom: expected a number from 1 to 4, got 9');
  });
});

describe('autoSize in PgPool', () => {
  it('moves the limit of its pool with the load (fake client)', async () => {
    const clock = new ManualClock();
    const { Client } = fakePg();
    const pool = new PgPool({ max: 20, autoSize: true, clock }, Client);
    const resizes: unknown[] = [];
    pool.corePool.on('resize', (r) => resizes.push(r));
    expect(pool.stats().limit).toBe(1);
    let stop = false;
    const loop = async (): Promise<void> => {
      while (!stop) {
        const c = await pool.connect();
        await sleep(clock, 20);
        c.release();
      }
    };
    const callers = Array.from({ length: 30 }, loop);
    await clock.advance(10_000);
    expect(pool.stats().limit).toBe(20);
    expect(resizes.length).toBeGreaterThanOrEqual(4);
    stop = true;
    await clock.advance(1_000);
    await Promise.all(callers);
    // Idle: it shrinks back, slowly.
    await clock.advance(60_000);
    expect(pool.stats().limit).toBeLessThanOrEqual(2);
    await pool.end();
  });

  it('resize() moves the bounds of its limit', async () => {
    const clock = new ManualClock();
    const { Client } = fakePg();
    const pool = new PgPool({ max: 20, min: 2, autoSize: { intervalMs: 250 }, clock }, Client);
    expect(pool.stats().limit).toBe(2);
    pool.resize({ min: 5, max: 10 });
    expect(pool.stats()).toMatchObject({ min: 5, max: 10, limit: 5 });
    await pool.end();
  });

  it('rejects bad tuning', () => {
    const { Client } = fakePg();
    expect(() => new PgPool({ autoSize: { every: 1 } as never }, Client)).toThrow(/autoSize: unknown option "every"/);
  });
});

describe('autoSize in HttpPool', () => {
  it('passes the option to every origin pool, and validates it', () => {
    const clock = new ManualClock();
    const http = new HttpPool({ autoSize: true, max: 8, clock, origins: { 'http://a.test': { max: 4 } } });
    const config = http.config() as { autoSize: unknown; origins: Record<string, { autoSize: unknown }> };
    expect(config.autoSize).toEqual({ intervalMs: 500, headroom: 1.25, shrinkAfterMs: 10_000 });
    expect(config.origins['http://a.test'].autoSize).toEqual(config.autoSize);
    // A listed origin's pool starts at its floor, not at max.
    expect(http.stats().origins['http://a.test']).toMatchObject({ max: 4, limit: 1 });
    void http.close();
    expect(() => new HttpPool({ autoSize: { intervalMs: -1 } })).toThrow(
      'autoSize.intervalMs: expected a positive duration in ms, got -1',
    );
  });
});

describe('autoSize in RedisPool', () => {
  it('is a core option of its pool', async () => {
    // No connection is opened: nothing borrows.
    const pool = new RedisPool({ Redis, redis: 'redis://h:1/0', max: 8, autoSize: true });
    expect(pool.stats()).toMatchObject({ max: 8, limit: 1 });
    expect(pool.config().autoSize).toEqual({ intervalMs: 500, headroom: 1.25, shrinkAfterMs: 10_000 });
    await pool.close();
  });
});

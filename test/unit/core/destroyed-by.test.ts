// stats().destroyedBy: every destroy counted under exactly one reason; stats().overflow and
// stats().limit.
import { describe, expect, it } from 'vitest';
import type { DestroyedBy } from '../../../src/index.js';
import { poolInternals } from '../../../src/core/pool.js';
import { setup } from '../helpers.js';

const none: DestroyedBy = {
  idle: 0,
  lifetime: 0,
  maxUses: 0,
  broken: 0,
  validation: 0,
  reset: 0,
  evicted: 0,
  shrink: 0,
  unpooled: 0,
  error: 0,
  closed: 0,
};

type Setup = ReturnType<typeof setup>;

/** One way for a resource to go, and the reason it must be counted under. */
const scenarios: [reason: keyof DestroyedBy, what: string, run: (x: Setup) => Promise<void>][] = [
  ['broken', 'lease.destroy()', async ({ pool }) => (await pool.acquire()).destroy(new Error('x'))],
  [
    'broken',
    'isBroken() after use() threw',
    async ({ pool }) => void (await pool.use(() => Promise.reject(new Error('y'))).catch(() => {})),
  ],
  [
    'maxUses',
    'a lease beyond maxUses',
    async ({ pool }) => {
      pool.resize({ max: 1 });
      (await pool.acquire()).release();
      (await pool.acquire()).release();
      (await pool.acquire()).release();
    },
  ],
  [
    'validation',
    'a failed pre-ping',
    async ({ f, pool }) => {
      (await pool.acquire()).release();
      f.next('validate', () => false);
      (await pool.acquire()).release();
    },
  ],
  [
    'reset',
    'a reset that throws',
    async ({ f, pool }) => {
      f.next('reset', 'throw');
      (await pool.acquire()).release();
    },
  ],
  [
    'error',
    'the adapter reports an idle resource dead',
    async ({ f, pool }) => {
      const l = await pool.acquire();
      const id = l.resource.id;
      l.release();
      f.evict(id);
    },
  ],
  [
    'evicted',
    'evictIdle()',
    async ({ pool }) => {
      (await pool.acquire()).release();
      pool.evictIdle(1);
    },
  ],
  [
    'shrink',
    'resize() below what is alive',
    async ({ pool }) => {
      const leases = await Promise.all([pool.acquire(), pool.acquire()]);
      for (const l of leases) l.release();
      pool.resize({ max: 1 });
    },
  ],
  [
    'shrink',
    'a lowered limit',
    async ({ pool }) => {
      const leases = await Promise.all([pool.acquire(), pool.acquire()]);
      for (const l of leases) l.release();
      poolInternals(pool).setLimit(1);
    },
  ],
  [
    'idle',
    'idle past idleTimeoutMs',
    async ({ clock, pool }) => {
      (await pool.acquire()).release();
      await clock.advance(1_000);
    },
  ],
  [
    'lifetime',
    'past maxLifetimeMs',
    async ({ clock, pool }) => {
      const l = await pool.acquire();
      await clock.advance(60_000);
      l.release();
    },
  ],
  [
    'closed',
    'close()',
    async ({ pool }) => {
      (await pool.acquire()).release();
      await pool.close();
    },
  ],
];

describe('stats().destroyedBy', () => {
  for (const [reason, what, run] of scenarios) {
    it(`${what}: ${reason}`, async () => {
      const x = setup(
        { max: 3, maxUses: 2, idleTimeoutMs: 1_000, maxLifetimeMs: 60_000, random: () => 0, validateAfterIdleMs: 0 },
        { validate: true, reset: true, watch: true, isBroken: () => true },
      );
      x.pool.on('error', () => {});
      await run(x);
      const s = x.pool.stats();
      expect(s.destroyed).toBe(1);
      expect(s.destroyedBy).toEqual({ ...none, [reason]: 1 });
      await x.pool.close();
    });
  }

  it('resetStats() zeroes it', async () => {
    const { pool } = setup({ max: 1 });
    (await pool.acquire()).destroy();
    expect(pool.stats().destroyedBy.broken).toBe(1);
    pool.resetStats();
    expect(pool.stats().destroyedBy).toEqual(none);
    await pool.close();
  });
});

describe('stats().overflow and stats().limit', () => {
  it('overflow counts live resources above min; limit is max until lowered, and a lower limit holds creates back', async () => {
    const { pool } = setup({ min: 1, max: 4, maxLifetimeMs: 0, idleTimeoutMs: 0 });
    await pool.ready();
    expect(pool.stats()).toMatchObject({ overflow: 0, limit: 4 });
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    expect(pool.stats()).toMatchObject({ size: 3, overflow: 2 });
    poolInternals(pool).setLimit(2);
    expect(pool.stats()).toMatchObject({ limit: 2, size: 3 }); // borrowed ones go when they come back
    leases[0].release();
    expect(pool.stats()).toMatchObject({ size: 2, overflow: 1 });
    expect(pool.stats().destroyedBy.shrink).toBe(1);
    poolInternals(pool).setLimit(10); // clamped to max
    expect(pool.stats().limit).toBe(4);
    expect(() => poolInternals(pool).setLimit(0)).toThrow('setLimit limit: expected a positive integer, got 0');
    for (const l of leases.slice(1)) l.release();
    await pool.close();
  });
});

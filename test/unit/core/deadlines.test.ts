// Idle timeout, lifetime and keepalive are deadlines of each resource, on one timer armed at
// the earliest: no periodic sweep decides when a resource goes.
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../../src/index.js';
import { rng } from '../../chaos/hook-matrix.js';
import { setup, type Res } from '../helpers.js';

/** Borrows `n` resources at once (all created at the same moment) and gives them back. */
async function createdTogether(pool: { acquire(): Promise<Lease<Res>> }, n: number): Promise<void> {
  const leases = await Promise.all(Array.from({ length: n }, () => pool.acquire()));
  for (const l of leases) l.release();
}

describe('per-resource deadlines', () => {
  it('50 resources created together retire spread over their jitter window, never more than 5 in a 1 % slice', async () => {
    const lifetime = 10_000;
    const { clock, pool } = setup({
      max: 50,
      maxConcurrentCreates: 50,
      maxLifetimeMs: lifetime,
      idleTimeoutMs: 0,
      random: rng(20),
    });
    const retiredAt: number[] = [];
    pool.on('destroy', (_r, reason) => {
      expect(reason).toBe('max lifetime reached');
      retiredAt.push(clock.now());
    });
    await createdTogether(pool, 50);
    expect(pool.stats()).toMatchObject({ size: 50, idle: 50 });
    await clock.advance(lifetime + 1);
    expect(retiredAt).toHaveLength(50);
    // The jitter window: the last 10 % of the lifetime.
    const start = lifetime * 0.9;
    const window = lifetime - start;
    for (const t of retiredAt) {
      expect(t).toBeGreaterThanOrEqual(start);
      expect(t).toBeLessThanOrEqual(lifetime + 1);
    }
    const spread = Math.max(...retiredAt) - Math.min(...retiredAt);
    expect(spread).toBeGreaterThanOrEqual(0.8 * window);
    const perSlice = new Map<number, number>();
    for (const t of retiredAt) {
      const slice = Math.min(99, Math.floor(((t - start) / window) * 100));
      perSlice.set(slice, (perSlice.get(slice) ?? 0) + 1);
    }
    expect(Math.max(...perSlice.values())).toBeLessThanOrEqual(5);
    await pool.close();
  });

  it('an idle timeout of 10 ms removes a resource at its deadline, not at a sweep', async () => {
    const { clock, pool } = setup({ max: 3, idleTimeoutMs: 10, maxLifetimeMs: 0 });
    const gone: number[] = [];
    pool.on('destroy', () => gone.push(clock.now()));
    const a = await pool.acquire();
    const b = await pool.acquire();
    a.release(); // idle from 0
    await clock.advance(3);
    b.release(); // idle from 3
    await clock.advance(6);
    expect(gone).toEqual([]);
    await clock.advance(1);
    expect(gone).toEqual([10]);
    await clock.advance(3);
    expect(gone).toEqual([10, 13]);
    expect(pool.stats().destroyedBy.idle).toBe(2);
    await pool.close();
  });

  it('a resource used again before its idle deadline gets a new one (its old key only makes the timer fire early)', async () => {
    const { clock, pool } = setup({ max: 1, idleTimeoutMs: 100, maxLifetimeMs: 0 });
    const gone: number[] = [];
    pool.on('destroy', () => gone.push(clock.now()));
    (await pool.acquire()).release(); // idle from 0: deadline 100
    await clock.advance(60);
    (await pool.acquire()).release(); // idle again from 60: deadline 160
    await clock.advance(60); // 120: past the first deadline, not the second
    expect(gone).toEqual([]);
    await clock.advance(40);
    expect(gone).toEqual([160]);
    await pool.close();
  });

  it('keepalive pings each idle resource keepaliveMs after it was last known good, one by one', async () => {
    const { clock, f, pool } = setup(
      { max: 2, keepaliveMs: 100, idleTimeoutMs: 0, maxLifetimeMs: 0 },
      { validate: true },
    );
    const pinged: number[] = [];
    f.defaults.validate = () => {
      pinged.push(clock.now());
      return true;
    };
    const a = await pool.acquire();
    const b = await pool.acquire();
    a.release(); // good at 0
    await clock.advance(30);
    b.release(); // good at 30
    await clock.advance(69);
    expect(pinged).toEqual([]);
    await clock.advance(1);
    expect(pinged).toEqual([100]);
    await clock.advance(30);
    expect(pinged).toEqual([100, 130]);
    await clock.advance(100);
    expect(pinged).toEqual([100, 130, 200, 230]);
    await pool.close();
  });

  it('min floors the idle timeout but not the lifetime; lowering min lets the oldest idle one time out at once', async () => {
    const { clock, pool } = setup({ min: 2, max: 3, idleTimeoutMs: 100, maxLifetimeMs: 1_000, random: () => 0 });
    const gone: [number, unknown][] = [];
    pool.on('destroy', (_r, reason) => gone.push([clock.now(), reason]));
    await pool.ready();
    await clock.advance(500); // both at min, idle since 0: not reaped
    expect(gone).toEqual([]);
    pool.resize({ min: 1 }); // one is above min now, long past its idle deadline
    await clock.advance(1);
    expect(gone).toEqual([[500, 'idle timeout']]);
    expect(pool.stats()).toMatchObject({ size: 1, idle: 1, overflow: 0 });
    // The last one is at min, but its lifetime still ends it (and min is refilled).
    await clock.advance(499);
    expect(gone).toEqual([
      [500, 'idle timeout'],
      [1_000, 'max lifetime reached'],
    ]);
    expect(pool.stats()).toMatchObject({ size: 1 });
    expect(pool.stats().destroyedBy).toMatchObject({ idle: 1, lifetime: 1 });
    await pool.close();
  });

  it('with every deadline off the pool keeps no timer; a release moves no timer', async () => {
    const { clock, pool } = setup({ max: 2, idleTimeoutMs: 0, maxLifetimeMs: 0 });
    (await pool.acquire()).release();
    expect(clock.pending).toBe(0);
    const deadlines = setup({ max: 2 });
    (await deadlines.pool.acquire()).release();
    const armed = deadlines.clock.pending;
    expect(armed).toBe(1);
    for (let i = 0; i < 10; i++) (await deadlines.pool.acquire()).release();
    expect(deadlines.clock.pending).toBe(armed);
    await pool.close();
    await deadlines.pool.close();
    expect(deadlines.clock.pending).toBe(0);
  });
});

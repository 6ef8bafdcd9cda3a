import { describe, expect, it } from 'vitest';
import { Histogram } from '../../../src/stats/histogram.js';
import { ManualClock, setup } from '../helpers.js';

/** A manual clock that counts reads. */
class CountingClock extends ManualClock {
  reads = 0;
  override now(): number {
    this.reads++;
    return super.now();
  }
}

describe('hot path', () => {
  it('a lease answers the `then` lookup on its own prototype (undefined: not a thenable), so resolving with it stops there', async () => {
    const { pool } = setup({ max: 1 });
    const lease = await pool.acquire();
    expect(await Promise.resolve(lease)).toBe(lease);
    expect((lease as unknown as { then?: unknown }).then).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(lease), 'then')).toEqual({
      value: undefined,
      writable: true,
      enumerable: false,
      configurable: true,
    });
    expect(Object.keys(lease)).toEqual([]);
    lease.release();
    await pool.close();
  });

  it('acquire and release of an idle resource read the clock once each', async () => {
    const clock = new CountingClock();
    const { pool } = setup({ clock, max: 2 });
    (await pool.acquire()).release(); // warm: one idle resource
    clock.reads = 0;
    const lease = await pool.acquire();
    expect(clock.reads).toBe(1);
    clock.reads = 0;
    lease.release();
    expect(clock.reads).toBe(1);
    clock.reads = 0;
    await pool.use(() => {});
    expect(clock.reads).toBe(2);
    await pool.close();
  });

  it('an acquire that has to wait reads the clock once (enqueue and dispatch share the reading)', async () => {
    const clock = new CountingClock();
    const { pool } = setup({ clock, max: 1 });
    const held = await pool.acquire();
    clock.reads = 0;
    const waiting = pool.acquire();
    expect(clock.reads).toBe(1);
    held.release();
    (await waiting).release();
    await pool.close();
  });

  it('with validate and leak detection off, nothing else is called', async () => {
    const clock = new CountingClock();
    const { f, pool } = setup({ clock, idleTimeoutMs: 0, maxLifetimeMs: 0 }, { validate: true });
    (await pool.acquire()).release();
    const timers = clock.pending;
    for (let i = 0; i < 100; i++) (await pool.acquire()).release();
    expect(f.calls.validate).toBe(0); // idle 0 ms < validateAfterIdleMs
    expect(clock.pending).toBe(timers);
    await pool.close();
  });
});

describe('Histogram', () => {
  it('quantiles within 12.5 % and exact max and mean', () => {
    const h = new Histogram();
    for (let i = 1; i <= 1_000; i++) h.record(i);
    const s = h.summary();
    expect(s.count).toBe(1_000);
    expect(s.mean).toBeCloseTo(500.5, 6);
    expect(s.max).toBe(1_000);
    expect(Math.abs(s.p50 - 500) / 500).toBeLessThan(0.125);
    expect(Math.abs(s.p99 - 990) / 990).toBeLessThan(0.125);
    expect(s.p99).toBeLessThanOrEqual(1_000);
    h.reset();
    expect(h.summary()).toEqual({ count: 0, mean: 0, p50: 0, p99: 0, max: 0 });
  });

  it('handles zero, sub-millisecond, negative and huge durations', () => {
    const h = new Histogram();
    h.record(0);
    h.record(-5);
    h.record(0.0004);
    h.record(0.25);
    h.record(10_000_000);
    const s = h.summary();
    expect(s.count).toBe(5);
    expect(s.max).toBe(10_000_000);
    expect(s.p50).toBeLessThan(0.001);
    expect(s.p99).toBe(10_000_000);
  });
});

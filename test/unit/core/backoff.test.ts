import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/core/util/backoff.js';
import { setup, watch } from '../helpers.js';

describe('create backoff', () => {
  it('a factory that rejects at once is called a bounded number of times', async () => {
    const { clock, f, pool } = setup({ min: 2, acquireTimeoutMs: Infinity });
    f.defaults.create = 'reject';
    const waiters = Array.from({ length: 5 }, () => watch(pool.acquire()));
    await clock.advance(10_000);
    // base 100 ms doubling to the 10 s cap with jitter in [½, 1]: per concurrent create at most
    // ~8 attempts in 10 s; never a tight loop.
    expect(f.calls.create).toBeGreaterThanOrEqual(5);
    expect(f.calls.create).toBeLessThanOrEqual(20);
    const perSecond = new Map<number, number>();
    for (const t of f.createTimes)
      perSecond.set(Math.floor(t / 1_000), (perSecond.get(Math.floor(t / 1_000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(12);
    // Later seconds see fewer attempts than the first.
    const late = f.createTimes.filter((t) => t >= 5_000).length;
    expect(late).toBeLessThanOrEqual(4);
    expect(waiters.every((w) => w.state === 'pending')).toBe(true);
    // Backend back: the next retry serves the waiters.
    f.defaults.create = 'ok';
    await clock.advance(10_000);
    expect(waiters.every((w) => w.state === 'fulfilled')).toBe(true);
    for (const w of waiters) w.value!.release();
    await pool.close();
  });

  it('keeps the cap and starts from the base again after a success', async () => {
    const { clock, f, pool } = setup({ min: 1, createRetry: { baseMs: 50, capMs: 400 }, random: () => 0.999 });
    f.defaults.create = 'reject';
    await clock.advance(5_000);
    const gaps = f.createTimes.slice(1).map((t, i) => t - f.createTimes[i]);
    expect(gaps.slice(0, 4)).toEqual([50, 100, 200, 400]);
    expect(Math.max(...gaps)).toBe(400);
    f.defaults.create = 'ok';
    await clock.advance(400);
    expect(pool.stats().idle).toBe(1);
    await pool.close();
  });

  it('no pending demand, no retries: min 0 and nobody waiting stays quiet', async () => {
    const { clock, f, pool } = setup({ acquireTimeoutMs: 100 });
    f.defaults.create = 'reject';
    const p = watch(pool.acquire());
    await clock.advance(100);
    expect(p.state).toBe('rejected');
    const calls = f.calls.create;
    await clock.advance(60_000);
    expect(f.calls.create).toBe(calls);
    await pool.close();
  });

  it('Backoff: equal jitter between half and all of min(cap, base * 2^(n-1))', () => {
    const lo = new Backoff(100, 10_000, () => 0);
    const hi = new Backoff(100, 10_000, () => 0.999999);
    const los = Array.from({ length: 10 }, () => lo.fail(0));
    const his = Array.from({ length: 10 }, () => hi.fail(0));
    expect(los).toEqual([50, 100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000]);
    expect(his.map(Math.round)).toEqual([100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000, 10_000]);
    lo.succeed();
    expect(lo.fail(0)).toBe(50);
    expect(lo.until).toBe(50);
  });
});

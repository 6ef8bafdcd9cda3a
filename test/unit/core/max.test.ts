import { describe, expect, it } from 'vitest';
import { flush, setup, watch } from '../helpers.js';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('max', () => {
  it('is never exceeded while resources are created, validated, reset, borrowed and destroyed', async () => {
    const { clock, f, pool } = setup(
      { max: 3, min: 1, validateAfterIdleMs: 0, maxConcurrentCreates: 3, maxUses: 4, acquireTimeoutMs: 60_000 },
      { validate: true, reset: true, delayMs: { create: 7, validate: 3, reset: 2 } },
    );
    const rand = rng(42);
    let maxSize = 0;
    const sample = (): void => {
      maxSize = Math.max(maxSize, pool.stats().size);
    };
    pool.on('create', sample);
    pool.on('acquire', sample);
    let done = 0;
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) {
        const lease = await pool.acquire();
        sample();
        const hold = Math.floor(rand() * 10);
        await new Promise<void>((r) => clock.setTimer(r, hold, true));
        if (rand() < 0.2) lease.destroy('flaky');
        else lease.release();
        sample();
        // Some validations fail, some resets throw: the pool replaces those resources.
        if (rand() < 0.1) f.next('validate', () => false);
        if (rand() < 0.1) f.next('reset', 'throw');
        // Think time, so resources also sit idle (and get validated when taken again).
        await new Promise<void>((r) => clock.setTimer(r, Math.floor(rand() * 20), true));
      }
      done++;
    };
    const workers = Array.from({ length: 5 }, worker);
    for (let t = 0; t < 2_000 && done < workers.length; t++) {
      await clock.advance(1);
      expect(pool.stats().size).toBeLessThanOrEqual(3);
      expect(f.inFlight + f.alive).toBeLessThanOrEqual(3);
    }
    await Promise.all(workers);
    expect(done).toBe(5);
    expect(f.peak).toBe(3);
    expect(maxSize).toBeLessThanOrEqual(3);
    expect(f.calls.validate).toBeGreaterThan(0);
    expect(f.calls.reset).toBeGreaterThan(0);
    expect(pool.stats().validationFailures + pool.stats().resetFailures).toBeGreaterThan(0);
    await pool.close();
    expect(f.allDestroyedOnce()).toBe(true);
  });

  it('does not create beyond max while creates are in flight', async () => {
    const { f, pool } = setup({ max: 2, maxConcurrentCreates: 5 });
    f.defaults.create = 'never';
    for (let i = 0; i < 10; i++) void pool.acquire().catch(() => {});
    await flush();
    expect(f.calls.create).toBe(2);
    expect(pool.stats()).toMatchObject({ size: 2, creating: 2, pending: 10 });
    await pool.close({ timeoutMs: 0 });
  });

  it('counts a resource being reset or validated against max', async () => {
    const { clock, f, pool } = setup({ max: 1 }, { reset: true, validate: true, delayMs: { reset: 50, validate: 50 } });
    const a = await pool.acquire();
    const id = a.resource.id;
    a.release(); // reset takes 50 ms
    const next = watch(pool.acquire());
    await flush();
    expect(pool.stats()).toMatchObject({ size: 1, checking: 1, creating: 0, pending: 1 });
    expect(f.calls.create).toBe(1);
    await clock.advance(50);
    expect(next.state).toBe('fulfilled');
    expect(next.value!.resource.id).toBe(id);
    next.value!.release();
    await clock.advance(1_000); // reset done, then idle long enough to be validated
    const again = watch(pool.acquire());
    const third = watch(pool.acquire());
    await flush();
    expect(f.calls.validate).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 1, checking: 1, creating: 0, pending: 2 });
    expect(f.calls.create).toBe(1);
    await clock.advance(50);
    expect(again.state).toBe('fulfilled');
    expect(third.state).toBe('pending');
    expect(f.peak).toBe(1);
    again.value!.release();
    await clock.advance(50);
    third.value!.release();
    await clock.advance(50);
    await pool.close();
    expect(f.allDestroyedOnce()).toBe(true);
  });
});

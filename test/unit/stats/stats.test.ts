import { describe, expect, it } from 'vitest';
import { flush, setup, watch } from '../helpers.js';

const FIELDS = [
  'name',
  'size',
  'idle',
  'borrowed',
  'pending',
  'creating',
  'min',
  'max',
  'peakBorrowed',
  'created',
  'destroyed',
  'acquired',
  'released',
  'timeouts',
  'createErrors',
  'validationFailures',
  'leaks',
  'waitTime',
  'useTime',
  'createTime',
];

describe('stats()', () => {
  it('has every field of the design, with summaries { count, mean, p50, p99, max }', async () => {
    const { pool } = setup({ min: 1, max: 7 });
    const s = pool.stats();
    for (const k of FIELDS) expect(s, k).toHaveProperty(k);
    for (const h of [s.waitTime, s.useTime, s.createTime])
      expect(Object.keys(h).sort()).toEqual(['count', 'max', 'mean', 'p50', 'p99']);
    expect(s).toMatchObject({ name: 'x', min: 1, max: 7, size: 0, created: 0 });
    await pool.close();
  });

  it('stays balanced through a workload: created - destroyed = size, acquired - released = borrowed', async () => {
    const { clock, f, pool } = setup({ max: 3, maxUses: 3, acquireTimeoutMs: 400 }, { delayMs: { create: 10 } });
    f.next('create', 'ok', 'reject');
    const check = (): void => {
      const s = pool.stats();
      expect(s.created - s.destroyed).toBe(s.size - s.creating);
      expect(s.acquired - s.released).toBe(s.borrowed);
      expect(s.size).toBe(s.idle + s.borrowed + s.creating + s.checking);
      expect(s.created).toBe(f.created.length);
      expect(s.destroyed).toBe(f.calls.destroy);
      expect(s.peakBorrowed).toBeLessThanOrEqual(3);
    };
    for (let round = 0; round < 5; round++) {
      const ws = Array.from({ length: 5 }, () => watch(pool.acquire()));
      for (let t = 0; t < 500; t += 50) {
        await clock.advance(50);
        check();
        for (const w of ws)
          if (w.state === 'fulfilled' && !w.value!.released) round % 2 ? w.value!.destroy() : w.value!.release();
        check();
      }
    }
    const s = pool.stats();
    expect(s.createErrors).toBe(1);
    expect(s.acquired).toBeGreaterThan(10);
    expect(s.peakBorrowed).toBe(3);
    await pool.close();
    const e = pool.stats();
    expect(e.created).toBe(e.destroyed);
    expect(e.size).toBe(0);
  });

  it('records wait, use and create times in ms', async () => {
    const { clock, pool } = setup({ max: 1 }, { delayMs: { create: 40 } });
    const a = watch(pool.acquire());
    await clock.advance(40); // waited 40 for the create
    const b = watch(pool.acquire());
    await clock.advance(100);
    a.value!.release(); // used 100; b waited 100
    await flush();
    await clock.advance(300);
    b.value!.release(); // used 300
    const s = pool.stats();
    expect(s.createTime).toEqual({ count: 1, mean: 40, p50: 40, p99: 40, max: 40 });
    expect(s.waitTime).toMatchObject({ count: 2, mean: 70, max: 100 });
    expect(s.waitTime.p50).toBeCloseTo(40, -1);
    expect(s.waitTime.p99).toBeCloseTo(100, -1);
    expect(s.useTime).toMatchObject({ count: 2, mean: 200, max: 300 });
    expect(s.acquired).toBe(2);
    expect(s.released).toBe(2);
    expect(s.peakBorrowed).toBe(1);
    expect(s.sinceMs).toBe(440);
    await pool.close();
  });

  it('counts timeouts, aborts, rejections and validation failures', async () => {
    const { clock, f, pool } = setup({ max: 1, maxWaiting: 1 }, { validate: true });
    const a = await pool.acquire();
    const t = watch(pool.acquire({ timeoutMs: 10 }));
    await pool.acquire().catch(() => {});
    await clock.advance(10);
    const ac = new AbortController();
    const ab = watch(pool.acquire({ signal: ac.signal }));
    ac.abort();
    a.release();
    await clock.advance(1_000);
    f.next('validate', () => false);
    (await pool.acquire()).release();
    await flush();
    expect(t.state).toBe('rejected');
    expect(ab.state).toBe('rejected');
    expect(pool.stats()).toMatchObject({ timeouts: 1, aborted: 1, rejected: 1, validationFailures: 1 });
    await pool.close();
  });

  it('resetStats() zeroes counters and histograms but keeps live counts', async () => {
    const { clock, pool } = setup({ max: 2 });
    const a = await pool.acquire();
    (await pool.acquire()).release();
    await clock.advance(100);
    pool.resetStats();
    const s = pool.stats();
    expect(s).toMatchObject({
      created: 0,
      destroyed: 0,
      acquired: 0,
      released: 0,
      size: 2,
      borrowed: 1,
      idle: 1,
      peakBorrowed: 1,
      sinceMs: 0,
    });
    expect(s.waitTime.count).toBe(0);
    expect(s.createTime).toEqual({ count: 0, mean: 0, p50: 0, p99: 0, max: 0 });
    a.release();
    expect(pool.stats().released).toBe(1);
    await pool.close();
  });
});

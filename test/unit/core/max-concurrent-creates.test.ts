import { describe, expect, it } from 'vitest';
import { setup, watch } from '../helpers.js';

describe('maxConcurrentCreates', () => {
  it('bounds creates in flight (default 2)', async () => {
    const { clock, f, pool } = setup({ max: 20 }, { delayMs: { create: 100 } });
    const ws = Array.from({ length: 10 }, () => watch(pool.acquire()));
    await clock.advance(0);
    expect(f.calls.create).toBe(2);
    expect(pool.stats().creating).toBe(2);
    await clock.advance(100);
    expect(f.calls.create).toBe(4);
    expect(ws.filter((w) => w.state === 'fulfilled')).toHaveLength(2);
    await clock.advance(400);
    expect(ws.every((w) => w.state === 'fulfilled')).toBe(true);
    expect(f.calls.create).toBe(10);
    expect(f.peak).toBe(10);
    for (const w of ws) w.value!.release();
    await pool.close();
  });

  it('is configurable, and also bounds filling min', async () => {
    const { clock, f, pool } = setup({ min: 8, max: 10, maxConcurrentCreates: 3 }, { delayMs: { create: 10 } });
    let most = 0;
    for (let t = 0; t < 40; t++) {
      await clock.advance(1);
      most = Math.max(most, f.inFlight);
    }
    expect(most).toBe(3);
    expect(pool.stats().idle).toBe(8);
    await pool.close();
  });

  it('a returned resource serves a waiter instead of starting yet another create', async () => {
    const { clock, f, pool } = setup({ max: 5, maxConcurrentCreates: 1 }, { delayMs: { create: 100 } });
    const first = watch(pool.acquire());
    await clock.advance(100);
    const second = watch(pool.acquire());
    const third = watch(pool.acquire());
    await clock.advance(0);
    expect(f.calls.create).toBe(2);
    first.value!.release();
    await clock.advance(0);
    expect(second.state).toBe('fulfilled');
    await clock.advance(100);
    expect(third.state).toBe('fulfilled');
    expect(f.calls.create).toBe(2);
    second.value!.release();
    third.value!.release();
    await pool.close();
  });
});

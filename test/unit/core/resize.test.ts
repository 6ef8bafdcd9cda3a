import { describe, expect, it } from 'vitest';
import { flush, setup, watch } from '../helpers.js';

describe('resize()', () => {
  it('raising max serves waiters at once', async () => {
    const { f, pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const w = watch(pool.acquire());
    await flush();
    expect(w.state).toBe('pending');
    pool.resize({ max: 2 });
    await flush();
    expect(w.state).toBe('fulfilled');
    expect(f.calls.create).toBe(2);
    expect(pool.stats().max).toBe(2);
    a.release();
    w.value!.release();
    await pool.close();
  });

  it('lowering max destroys idle resources at once and borrowed ones on release', async () => {
    const { f, pool } = setup({ max: 4 });
    const ls = [await pool.acquire(), await pool.acquire(), await pool.acquire(), await pool.acquire()];
    ls[0].release();
    ls[1].release();
    pool.resize({ max: 1 });
    expect(pool.stats()).toMatchObject({ idle: 0, borrowed: 2, size: 2, max: 1 });
    expect(f.calls.destroy).toBe(2);
    ls[2].release();
    expect(pool.stats()).toMatchObject({ idle: 0, size: 1 });
    ls[3].release();
    expect(pool.stats()).toMatchObject({ idle: 1, size: 1 });
    expect(f.peak).toBe(4);
    await pool.close();
  });

  it('raising min fills it; lowering max below min lowers min too', async () => {
    const { f, pool } = setup({ max: 5 });
    pool.resize({ min: 3 });
    await flush();
    expect(pool.stats()).toMatchObject({ idle: 3, min: 3 });
    pool.resize({ max: 2 });
    expect(pool.stats()).toMatchObject({ idle: 2, min: 2, max: 2 });
    expect(f.calls.destroy).toBe(1);
    await pool.close();
  });

  it('a create in flight when max is lowered does not push the pool over', async () => {
    const { clock, f, pool } = setup({ max: 3 }, { delayMs: { create: 100 } });
    const ws = [watch(pool.acquire()), watch(pool.acquire())];
    await clock.advance(0);
    pool.resize({ max: 1 });
    await clock.advance(100);
    expect(pool.stats().size).toBeLessThanOrEqual(1);
    expect(f.alive).toBe(1);
    expect(ws.filter((w) => w.state === 'fulfilled')).toHaveLength(1);
    ws.find((w) => w.state === 'fulfilled')!.value!.release();
    await flush();
    expect(ws.every((w) => w.state === 'fulfilled')).toBe(true);
    ws[1].value!.release();
    await pool.close();
  });

  it('validates its arguments', () => {
    const { pool } = setup({ max: 5 });
    expect(() => pool.resize({ min: 6 })).toThrow('min: expected at most max (5), got 6');
    expect(() => pool.resize({ max: 0 })).toThrow('max: expected a positive integer, got 0');
    expect(() => pool.resize(null as never)).toThrow('resize: expected { min?, max? }, got null');
    void pool.close();
  });
});

import { describe, expect, it } from 'vitest';
import { flush, setup } from '../helpers.js';

describe('evictIdle()', () => {
  it('destroys up to n idle resources, least recently used first, never borrowed ones', async () => {
    const { f, pool } = setup({ max: 4 });
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    const ids = leases.map((l) => l.resource.id);
    leases[0].release();
    leases[1].release();
    expect(pool.evictIdle(1)).toBe(1);
    expect(f.destroyCount.get(ids[0])).toBe(1);
    expect(f.destroyCount.has(ids[1])).toBe(false);
    expect(pool.evictIdle(5)).toBe(1);
    expect(pool.evictIdle()).toBe(0);
    expect(pool.stats()).toMatchObject({ idle: 0, borrowed: 1, size: 1 });
    expect(f.destroyCount.has(ids[2])).toBe(false);
    leases[2].release();
    await pool.close();
  });

  it('refills min afterwards and rejects a bad count', async () => {
    const { f, pool } = setup({ min: 1, max: 2 });
    await pool.ready();
    expect(pool.evictIdle(1)).toBe(1);
    await flush();
    expect(f.calls.create).toBe(2);
    expect(() => pool.evictIdle(-1)).toThrow('evictIdle n: expected a non-negative integer or Infinity, got -1');
    await pool.close();
  });
});

import { describe, expect, it } from 'vitest';
import { setup } from '../helpers.js';

describe('maxUses', () => {
  it('destroys a resource after maxUses leases', async () => {
    const { f, pool } = setup({ max: 1, maxUses: 3 });
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      const l = await pool.acquire();
      ids.push(l.resource.id);
      l.release();
    }
    expect(ids).toEqual([1, 1, 1, 2, 2, 2, 3]);
    expect(f.destroyCount.get(1)).toBe(1);
    expect(f.destroyCount.get(2)).toBe(1);
    await pool.close();
  });

  it('counts use() as a use too', async () => {
    const { f, pool } = setup({ max: 1, maxUses: 2 });
    await pool.use(() => {});
    await pool.use(() => {});
    expect(f.calls.destroy).toBe(1);
    await pool.use(() => {});
    expect(f.calls.create).toBe(2);
    await pool.close();
  });
});

import { describe, expect, it } from 'vitest';
import { Pool } from '../../../src/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { TestFactory } from '../../support/test-factory.js';

describe('smoke', () => {
  it('acquires and releases', async () => {
    const clock = new ManualClock();
    const f = new TestFactory();
    const pool = new Pool({ factory: f, clock, max: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(a.resource.id).not.toBe(b.resource.id);
    const aId = a.resource.id;
    const p = pool.acquire();
    a.release();
    const c = await p;
    expect(c.resource.id).toBe(aId);
    expect(() => a.resource).toThrow(/already released/);
    expect(pool.stats()).toMatchObject({ size: 2, borrowed: 2, idle: 0, pending: 0 });
    b.release();
    c.release();
    expect(await pool.use((r) => r.id)).toBe(aId);
    await pool.close();
    expect(f.allDestroyedOnce()).toBe(true);
  });
});

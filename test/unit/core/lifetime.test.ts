import { describe, expect, it } from 'vitest';
import { setup } from '../helpers.js';

describe('maxLifetimeMs', () => {
  it('retires a resource at its lifetime minus random jitter of up to 10 %', async () => {
    // random() = 0.5 → 5 % earlier: 10 000 ms * 0.95 = 9 500 ms. Sweeps run at 2 500 ms multiples.
    const { clock, f, pool } = setup({ max: 1, maxLifetimeMs: 10_000, idleTimeoutMs: 0, random: () => 0.5 });
    const a = await pool.acquire();
    const id = a.resource.id;
    a.release();
    await clock.advance(9_499);
    const b = await pool.acquire();
    expect(b.resource.id).toBe(id);
    b.release();
    await clock.advance(1); // t = 9 500: expired; found so by the acquire, before any sweep
    const c = await pool.acquire();
    expect(c.resource.id).not.toBe(id);
    expect(f.destroyCount.get(id)).toBe(1);
    c.release();
    await pool.close();
  });

  it('jitter is never more than 10 % and never upward', async () => {
    for (const r of [0, 0.999999]) {
      const { clock, f, pool } = setup({ max: 1, maxLifetimeMs: 10_000, idleTimeoutMs: 0, random: () => r });
      const a = await pool.acquire();
      const id = a.resource.id;
      await clock.advance(r === 0 ? 9_999 : 9_001);
      a.release();
      expect(f.destroyCount.get(id)).toBe(r === 0 ? undefined : 1);
      await clock.advance(r === 0 ? 1 : 0);
      const b = await pool.acquire();
      expect(b.resource.id).not.toBe(id);
      b.release();
      await pool.close();
    }
  });

  it('the housekeeper retires idle resources past their lifetime', async () => {
    const { clock, f, pool } = setup({ max: 2, maxLifetimeMs: 10_000, idleTimeoutMs: 0, random: () => 0 });
    const a = await pool.acquire();
    a.release();
    await clock.advance(10_000);
    expect(f.calls.destroy).toBe(1);
    expect(pool.stats().size).toBe(0);
    await pool.close();
  });

  it('a borrowed resource past its lifetime is destroyed on release, not reused', async () => {
    const { clock, f, pool } = setup({ max: 1, maxLifetimeMs: 1_000, random: () => 0 });
    const destroyed: unknown[] = [];
    pool.on('destroy', (_r, reason) => destroyed.push(reason));
    const a = await pool.acquire();
    await clock.advance(1_500);
    expect(f.calls.destroy).toBe(0);
    a.release();
    expect(f.calls.destroy).toBe(1);
    expect(destroyed).toEqual(['max lifetime reached']);
    await pool.close();
  });

  it('min is refilled after lifetime retirement', async () => {
    const { clock, f, pool } = setup({ min: 2, max: 2, maxLifetimeMs: 1_000, random: () => 0 });
    await pool.ready();
    await clock.advance(1_000);
    expect(f.calls.destroy).toBe(2);
    expect(pool.stats()).toMatchObject({ size: 2, idle: 2 });
    await pool.close();
  });
});

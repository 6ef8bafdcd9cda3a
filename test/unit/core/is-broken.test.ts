import { describe, expect, it } from 'vitest';
import { setup } from '../helpers.js';

describe('isBroken', () => {
  it('destroys the resource when use() throws and isBroken says so', async () => {
    const seen: unknown[] = [];
    const { f, pool } = setup(
      { max: 1 },
      { isBroken: (e, r) => (seen.push([e, r.id]), (e as Error).message === 'fatal') },
    );
    const fatal = new Error('fatal');
    await expect(pool.use(() => Promise.reject(fatal))).rejects.toBe(fatal);
    expect(seen).toEqual([[fatal, 1]]);
    expect(f.destroyCount.get(1)).toBe(1);
    await pool.close();
  });

  it('keeps the resource when isBroken says it is fine', async () => {
    const { f, pool } = setup({ max: 1 }, { isBroken: () => false });
    await expect(
      pool.use(() => {
        throw new Error('user error');
      }),
    ).rejects.toThrow('user error');
    expect(f.calls.destroy).toBe(0);
    expect(pool.stats().idle).toBe(1);
    expect(await pool.use((r) => r.id)).toBe(1);
    await pool.close();
  });

  it('keeps the resource when there is no isBroken hook', async () => {
    const { f, pool } = setup({ max: 1 });
    await expect(
      pool.use(async () => {
        throw new Error('x');
      }),
    ).rejects.toThrow('x');
    expect(f.calls.destroy).toBe(0);
    await pool.close();
  });

  it('is not asked when use() succeeds', async () => {
    let asked = 0;
    const { pool } = setup({ max: 1 }, { isBroken: () => (asked++, true) });
    await pool.use(async () => 1);
    expect(asked).toBe(0);
    await pool.close();
  });

  it('an isBroken that throws destroys the resource (and is reported)', async () => {
    const { f, pool } = setup(
      { max: 1 },
      {
        isBroken: () => {
          throw new Error('oops');
        },
      },
    );
    const errors: unknown[] = [];
    pool.on('error', (e) => errors.push(e));
    await expect(pool.use(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(f.calls.destroy).toBe(1);
    expect(errors).toHaveLength(1);
    await pool.close();
  });

  it('also applies to use() with options (slow path)', async () => {
    const { f, pool } = setup({ max: 1 }, { isBroken: () => true });
    await expect(pool.use(() => Promise.reject(new Error('x')), { timeoutMs: 100 })).rejects.toThrow('x');
    expect(f.calls.destroy).toBe(1);
    await pool.close();
  });
});

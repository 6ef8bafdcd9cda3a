import { describe, expect, it } from 'vitest';
import { Lease, PoolError } from '../../../src/index.js';
import { flush, setup } from '../helpers.js';

describe('Lease', () => {
  it('exposes the resource until released, then throws ERR_POOL_LEASE_RELEASED', async () => {
    const { pool } = setup();
    const l = await pool.acquire();
    expect(l).toBeInstanceOf(Lease);
    expect(l.resource).toEqual({ id: 1, dead: false });
    expect(l.released).toBe(false);
    l.release();
    expect(l.released).toBe(true);
    expect(() => l.resource).toThrow(PoolError);
    expect(() => l.resource).toThrow('lease of pool "x" was already released; acquire again');
    await pool.close();
  });

  it('release() is idempotent: a second release does not return the resource twice', async () => {
    const { pool } = setup({ max: 2 });
    const a = await pool.acquire();
    a.release();
    const b = await pool.acquire(); // gets the same resource
    a.release(); // must not give b's resource back
    a.destroy(); // nor destroy it
    expect(pool.stats()).toMatchObject({ borrowed: 1, idle: 0, released: 1 });
    const c = await pool.acquire();
    expect(c.resource.id).not.toBe(b.resource.id);
    b.release();
    c.release();
    b.release();
    expect(pool.stats()).toMatchObject({ borrowed: 0, idle: 2, released: 3 });
    await pool.close();
  });

  it('destroy(reason) discards the resource with that reason', async () => {
    const { f, pool } = setup();
    const reasons: unknown[] = [];
    pool.on('destroy', (_r, why) => reasons.push(why));
    const l = await pool.acquire();
    const why = new Error('protocol error');
    l.destroy(why);
    l.destroy('again');
    l.release();
    expect(reasons).toEqual([why]);
    expect(f.destroyCount.get(1)).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 0, destroyed: 1 });
    await pool.close();
  });

  it('`using` releases at the end of the block', async () => {
    const { pool } = setup();
    {
      using lease = await pool.acquire();
      expect(lease.resource.id).toBe(1);
      expect(pool.stats().borrowed).toBe(1);
    }
    expect(pool.stats()).toMatchObject({ borrowed: 0, idle: 1 });
    await pool.close();
  });

  it('`await using` releases at the end of the block, also when it throws', async () => {
    const { pool } = setup();
    const fn = async (): Promise<void> => {
      await using lease = await pool.acquire();
      expect(pool.stats().borrowed).toBe(1);
      void lease;
      throw new Error('inside');
    };
    await expect(fn()).rejects.toThrow('inside');
    expect(pool.stats()).toMatchObject({ borrowed: 0, idle: 1 });
    await pool.close();
  });

  it('a lease from another pool is refused by pool.release() and pool.destroy()', async () => {
    const { pool } = setup();
    const { pool: other } = setup();
    const foreign = await other.acquire();
    expect(() => pool.release(foreign)).toThrow('release: expected a lease of pool "x", got a lease of another pool');
    expect(() => pool.destroy(foreign)).toThrow(PoolError);
    expect(() => pool.release({} as never)).toThrow('release: expected a lease of pool "x", got object');
    try {
      pool.release(foreign);
    } catch (e) {
      expect(e).toMatchObject({ code: 'ERR_POOL_FOREIGN_LEASE' });
    }
    expect(foreign.released).toBe(false);
    expect(other.stats().borrowed).toBe(1);
    pool.release(await pool.acquire());
    other.release(foreign);
    expect(other.stats().borrowed).toBe(0);
    await pool.close();
    await other.close();
  });

  it('pool.destroy(lease, reason) discards', async () => {
    const { f, pool } = setup();
    const l = await pool.acquire();
    pool.destroy(l, 'bad');
    expect(f.calls.destroy).toBe(1);
    await pool.close();
  });

  it('a lease revoked by a forced close no longer exposes its resource', async () => {
    const { clock, pool } = setup();
    const l = await pool.acquire();
    const closing = pool.close({ timeoutMs: 10 });
    await clock.advance(10);
    await closing;
    expect(l.released).toBe(true);
    expect(() => l.resource).toThrow('was revoked by the pool');
    l.release(); // harmless
    await flush();
  });
});

describe('use()', () => {
  it('returns the callback value and releases', async () => {
    const { pool } = setup();
    expect(await pool.use(async (r) => r.id * 10)).toBe(10);
    expect(await pool.use((r) => r.id)).toBe(1);
    expect(pool.stats()).toMatchObject({ borrowed: 0, idle: 1, acquired: 2, released: 2 });
    await pool.close();
  });

  it('releases when the callback throws synchronously or rejects', async () => {
    const { pool } = setup();
    await expect(
      pool.use(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(
      pool.use(async () => {
        throw new Error('async');
      }),
    ).rejects.toThrow('async');
    expect(pool.stats()).toMatchObject({ borrowed: 0, idle: 1, released: 2 });
    await pool.close();
  });

  it('releases on the slow path too (waiting, with options)', async () => {
    const { pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const p = pool.use(async (r) => r.id, { timeoutMs: 1_000 });
    a.release();
    expect(await p).toBe(1);
    await expect(pool.use(() => Promise.reject(new Error('x')), { timeoutMs: 1_000 })).rejects.toThrow('x');
    expect(pool.stats()).toMatchObject({ borrowed: 0, idle: 1 });
    await pool.close();
  });

  it('rejects without calling fn when the acquire fails', async () => {
    const { clock, pool } = setup({ max: 1 });
    const a = await pool.acquire();
    let called = false;
    const p = pool.use(() => (called = true), { timeoutMs: 10 }).catch((e: unknown) => e);
    await clock.advance(10);
    expect(await p).toMatchObject({ code: 'ERR_POOL_ACQUIRE_TIMEOUT' });
    expect(called).toBe(false);
    a.release();
    await pool.close();
  });
});

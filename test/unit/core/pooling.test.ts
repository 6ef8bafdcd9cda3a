/**
 * The kill switch, `pooling: false`: every lease gets a fresh resource, destroyed on
 * release (`unpooled`); max, timeouts and stats still apply; min and keepalive do nothing.
 */
import { describe, expect, it } from 'vitest';
import { AcquireTimeoutError, PoolOptionsError } from '../../../src/index.js';
import { setup, watch } from '../helpers.js';

describe('pooling: false', () => {
  it('gives every lease a fresh resource and destroys it on release (destroyedBy.unpooled)', async () => {
    const { f, pool } = setup({ pooling: false });
    const a = await pool.acquire();
    const first = a.resource;
    a.release();
    await pool.use(() => {});
    const b = await pool.acquire();
    expect(b.resource).not.toBe(first);
    b.release();
    expect(f.created).toHaveLength(3);
    expect(f.alive).toBe(0);
    const s = pool.stats();
    expect(s).toMatchObject({ size: 0, idle: 0, created: 3, destroyed: 3, acquired: 3, released: 3 });
    expect(s.destroyedBy.unpooled).toBe(3);
    expect(pool.config().pooling).toBe(false);
    await pool.close();
  });

  it('keeps max, the queue and acquire timeouts', async () => {
    const { clock, f, pool } = setup({ pooling: false, max: 2, acquireTimeoutMs: 1_000 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const waiting = watch(pool.acquire());
    const late = watch(pool.acquire({ timeoutMs: 500 }));
    await clock.advance(0);
    expect(pool.stats()).toMatchObject({ size: 2, pending: 2 });
    a.release(); // destroyed; a fresh one is made for the first waiter
    await clock.advance(0);
    expect(waiting.state).toBe('fulfilled');
    expect(f.created).toHaveLength(3);
    await clock.advance(500);
    expect(late.state).toBe('rejected');
    expect(late.error).toBeInstanceOf(AcquireTimeoutError);
    expect(pool.stats()).toMatchObject({ timeouts: 1, size: 2 });
    b.release();
    (waiting.value as { release(): void }).release();
    expect(pool.stats()).toMatchObject({ size: 0, destroyed: 3 });
    await pool.close();
  });

  it('min and keepalive do nothing; a destroy() keeps its own reason', async () => {
    const { clock, f, pool } = setup({ pooling: false, min: 3, keepaliveMs: 1_000 }, { validate: true });
    await pool.ready();
    await clock.advance(5_000);
    expect(f.created).toHaveLength(0);
    expect(pool.stats().min).toBe(0);
    pool.resize({ min: 2, max: 5 });
    await clock.advance(0);
    expect(f.created).toHaveLength(0);
    const l = await pool.acquire();
    l.destroy(new Error('broken'));
    expect(pool.stats().destroyedBy).toMatchObject({ broken: 1, unpooled: 0 });
    await pool.close();
  });

  it('resources released after close are destroyed as closed', async () => {
    const { pool } = setup({ pooling: false });
    const l = await pool.acquire();
    const closing = pool.close();
    l.release();
    await closing;
    expect(pool.stats().destroyedBy).toMatchObject({ closed: 1, unpooled: 0 });
  });

  it('autoSize does nothing: the limit stays max', async () => {
    const { clock, pool } = setup({ pooling: false, autoSize: true, max: 5 });
    const moves: unknown[] = [];
    pool.on('resize', (m) => moves.push(m));
    expect(pool.stats().limit).toBe(5);
    for (let i = 0; i < 20; i++) {
      const held = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
      await clock.advance(100);
      for (const l of held) l.release();
    }
    expect(moves).toEqual([]);
    expect(pool.stats().limit).toBe(5);
    await pool.close();
  });

  it('is validated', () => {
    expect(() => setup({ pooling: 0 as never })).toThrow(PoolOptionsError);
    expect(() => setup({ pooling: 0 as never })).toThrow('pooling: expected a boolean, got 0');
  });
});

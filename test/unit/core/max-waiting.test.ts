import { describe, expect, it } from 'vitest';
import { QueueFullError } from '../../../src/index.js';
import { flush, setup, watch } from '../helpers.js';

describe('maxWaiting', () => {
  it('rejects with QueueFullError at once beyond maxWaiting', async () => {
    const { pool } = setup({ max: 1, maxWaiting: 2 });
    const a = await pool.acquire();
    const w1 = watch(pool.acquire());
    const w2 = watch(pool.acquire());
    const p = watch(pool.acquire());
    await Promise.resolve();
    await Promise.resolve();
    expect(p.state).toBe('rejected'); // at once: no timer, no create
    const e = p.error;
    expect(e).toBeInstanceOf(QueueFullError);
    expect(e).toMatchObject({ code: 'ERR_POOL_QUEUE_FULL', phase: 'wait', pool: 'x' });
    expect((e as Error).message).toBe(
      'acquire rejected: 2 already waiting, maxWaiting is 2 (pool "x": 1/1 borrowed, 0 idle, 0 creating, 2 waiting)',
    );
    expect(pool.stats()).toMatchObject({ pending: 2, rejected: 1 });
    expect(w1.state).toBe('pending');
    a.release();
    await flush();
    expect(w1.state).toBe('fulfilled');
    // A slot in the queue freed up: the next acquire may wait again.
    const w3 = watch(pool.acquire());
    await flush();
    expect(w3.state).toBe('pending');
    expect(pool.stats().rejected).toBe(1);
    w1.value!.release();
    await flush();
    w2.value!.release();
    await flush();
    w3.value!.release();
    await pool.close();
  });

  it('maxWaiting 0: never queue, but idle resources are still handed out', async () => {
    const { pool } = setup({ max: 1, maxWaiting: 0, min: 1 });
    await pool.ready();
    const a = await pool.acquire();
    await expect(pool.acquire()).rejects.toBeInstanceOf(QueueFullError);
    a.release();
    await pool.close();
  });
});

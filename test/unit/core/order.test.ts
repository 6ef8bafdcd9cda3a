import { describe, expect, it } from 'vitest';
import type { Lease } from '../../../src/index.js';
import { flush, setup, watch, type Res } from '../helpers.js';

async function fill(pool: { acquire(): Promise<Lease<Res>> }, n: number): Promise<Lease<Res>[]> {
  const out: Lease<Res>[] = [];
  for (let i = 0; i < n; i++) out.push(await pool.acquire());
  return out;
}

describe('order', () => {
  it('serves waiters first come, first served', async () => {
    const { pool } = setup({ max: 2 });
    const held = await fill(pool, 2);
    const order: number[] = [];
    const ws = Array.from({ length: 6 }, (_, i) =>
      pool.acquire().then((l) => {
        order.push(i);
        return l;
      }),
    );
    for (let i = 0; i < 6; i++) {
      const l = i < 2 ? held[i] : await ws[i - 2];
      l.release();
      await flush();
    }
    (await ws[4]).release();
    (await ws[5]).release();
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    await pool.close();
  });

  it('a new acquire does not jump the queue when a resource comes back', async () => {
    const { pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const waiter = watch(pool.acquire());
    a.release();
    const late = watch(pool.acquire());
    await flush();
    expect(waiter.state).toBe('fulfilled');
    expect(late.state).toBe('pending');
    waiter.value!.release();
    await flush();
    expect(late.state).toBe('fulfilled');
    late.value!.release();
    await pool.close();
  });

  it('lifo hands out the most recently returned idle resource', async () => {
    const { pool } = setup({ max: 3, order: 'lifo' });
    const [a, b, c] = await fill(pool, 3);
    const ids = [a, b, c].map((l) => l.resource.id);
    a.release();
    b.release();
    c.release();
    const x = await pool.acquire();
    expect(x.resource.id).toBe(ids[2]);
    x.release();
    const y = await pool.acquire();
    expect(y.resource.id).toBe(ids[2]);
    y.release();
    await pool.close();
  });

  it('fifo hands out the least recently returned idle resource', async () => {
    const { pool } = setup({ max: 3, order: 'fifo' });
    const [a, b, c] = await fill(pool, 3);
    const ids = [a, b, c].map((l) => l.resource.id);
    b.release();
    a.release();
    c.release();
    const got: number[] = [];
    for (let i = 0; i < 4; i++) {
      const l = await pool.acquire();
      got.push(l.resource.id);
      l.release();
    }
    expect(got).toEqual([ids[1], ids[0], ids[2], ids[1]]);
    await pool.close();
  });
});

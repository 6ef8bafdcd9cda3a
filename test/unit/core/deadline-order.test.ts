import { describe, expect, it } from 'vitest';
import { Pool } from '../../../src/index.js';
import { flush, ManualClock } from '../../support/manual-clock.js';

function watch<T>(p: Promise<T>) {
  const w: { state: string; error?: unknown; value?: T; at?: number } = { state: 'pending' };
  p.then(
    (v) => ((w.state = 'fulfilled'), (w.value = v)),
    (e) => ((w.state = 'rejected'), (w.error = e)),
  );
  return w;
}

describe('deadline order with one and several timeout values', () => {
  it('same timeouts expire oldest first at their own deadlines; a shorter one arriving later still expires first; uniform again after emptying', async () => {
    const clock = new ManualClock();
    const pool = new Pool<{ id: number }>({
      factory: { create: async () => ({ id: 1 }), destroy() {} },
      clock,
      max: 1,
      acquireTimeoutMs: 100,
    });
    const held = await pool.acquire();
    const a = watch(pool.acquire());
    await clock.advance(10);
    const b = watch(pool.acquire());
    await clock.advance(10);
    const c = watch(pool.acquire({ timeoutMs: 30 })); // deadline 50, before a (100) and b (110)
    const d = watch(pool.acquire()); // deadline 120
    await clock.advance(29);
    expect([a.state, b.state, c.state, d.state]).toEqual(['pending', 'pending', 'pending', 'pending']);
    await clock.advance(1); // t=50
    expect([a.state, b.state, c.state, d.state]).toEqual(['pending', 'pending', 'rejected', 'pending']);
    await clock.advance(50); // t=100
    expect([a.state, b.state, d.state]).toEqual(['rejected', 'pending', 'pending']);
    await clock.advance(10); // t=110
    expect([b.state, d.state]).toEqual(['rejected', 'pending']);
    held.release();
    await flush();
    expect(d.state).toBe('fulfilled');
    const held2 = d.value as Awaited<ReturnType<typeof pool.acquire>>;
    // queue empty: a fresh run of same-timeout waiters
    const e = watch(pool.acquire({ timeoutMs: 20 }));
    await clock.advance(5);
    const f = watch(pool.acquire({ timeoutMs: 20 }));
    await clock.advance(15);
    expect([e.state, f.state]).toEqual(['rejected', 'pending']);
    await clock.advance(5);
    expect(f.state).toBe('rejected');
    expect(pool.stats()).toMatchObject({ pending: 0, timeouts: 5 });
    held2.release();
    await pool.close();
  });

  it('aborting waiters in the middle of a deadline list (mixed timeouts) leaves the others in order, on time and served first come first served', async () => {
    const clock = new ManualClock();
    const pool = new Pool<{ id: number }>({
      factory: { create: async () => ({ id: 1 }), destroy() {} },
      clock,
      max: 1,
      acquireTimeoutMs: 100,
    });
    const held = await pool.acquire();
    const acs = [0, 1, 2, 3, 4, 5].map(() => new AbortController());
    // a/c/e have 100 ms, b/d/f 60 ms: two deadline lists of three, interleaved in the queue.
    const [a, b, c, d, e, f] = acs.map((ac, i) =>
      watch(pool.acquire({ signal: ac.signal, ...(i % 2 ? { timeoutMs: 60 } : {}) })),
    );
    acs[2].abort(new Error('c gone')); // middle of the 100 ms list
    acs[3].abort(new Error('d gone')); // middle of the 60 ms list
    acs[5].abort(new Error('f gone')); // tail of the 60 ms list
    await flush();
    expect([a.state, b.state, c.state, d.state, e.state, f.state]).toEqual([
      'pending',
      'pending',
      'rejected',
      'rejected',
      'pending',
      'rejected',
    ]);
    expect((c.error as Error).message).toBe('c gone');
    expect(pool.stats()).toMatchObject({ pending: 3, aborted: 3 });
    await clock.advance(59);
    expect(b.state).toBe('pending');
    await clock.advance(1); // t=60: b, the only 60 ms waiter left, times out
    expect([a.state, b.state, e.state]).toEqual(['pending', 'rejected', 'pending']);
    held.release(); // a is the oldest left
    await flush();
    expect([a.state, e.state]).toEqual(['fulfilled', 'pending']);
    await clock.advance(40); // t=100: e's deadline
    expect(e.state).toBe('rejected');
    expect(pool.stats()).toMatchObject({ pending: 0, timeouts: 2, aborted: 3 });
    (a.value as Awaited<ReturnType<typeof pool.acquire>>).release();
    await pool.close();
  });
});

import { describe, expect, it } from 'vitest';
import { AcquireTimeoutError } from '../../../src/index.js';
import { flush, setup, watch } from '../helpers.js';

describe('hand-off', () => {
  it('a resource freed as its waiter times out goes to the next waiter', async () => {
    const { clock, f, pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const first = watch(pool.acquire({ timeoutMs: 100 }));
    const second = watch(pool.acquire({ timeoutMs: 1_000 }));
    // At t = 100 the first waiter's deadline fires; the release comes in the same tick, just after.
    clock.setTimer(() => a.release(), 100, true);
    await clock.advance(100);
    expect(first.state).toBe('rejected');
    expect(first.error).toBeInstanceOf(AcquireTimeoutError);
    expect(second.state).toBe('fulfilled');
    expect(pool.stats()).toMatchObject({ borrowed: 1, idle: 0, pending: 0, size: 1 });
    second.value!.release();
    await pool.close();
    expect(f.created).toHaveLength(1);
    expect(f.allDestroyedOnce()).toBe(true);
  });

  it('a resource freed right after its waiter aborted goes to the next waiter', async () => {
    const { f, pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const ac = new AbortController();
    const first = watch(pool.acquire({ signal: ac.signal }));
    const second = watch(pool.acquire());
    ac.abort(new Error('gone'));
    a.release();
    await flush();
    expect(first.state).toBe('rejected');
    expect(second.state).toBe('fulfilled');
    second.value!.release();
    await pool.close();
    expect(f.created).toHaveLength(1);
  });

  it('with nobody left waiting, the freed resource goes idle, not lost', async () => {
    const { clock, pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const ac = new AbortController();
    const w1 = watch(pool.acquire({ signal: ac.signal }));
    const w2 = watch(pool.acquire({ timeoutMs: 10 }));
    await clock.advance(10);
    ac.abort();
    a.release();
    await flush();
    expect(w1.state).toBe('rejected');
    expect(w2.state).toBe('rejected');
    expect(pool.stats()).toMatchObject({ idle: 1, borrowed: 0, pending: 0, size: 1 });
    const b = await pool.acquire();
    expect(b.resource.id).toBe(1);
    b.release();
    await pool.close();
  });

  it('a create finishing after its waiter timed out serves the next waiter or goes idle', async () => {
    const { clock, f, pool } = setup({ max: 1, createTimeoutMs: 10_000 }, { delayMs: { create: 150 } });
    const first = watch(pool.acquire({ timeoutMs: 100 }));
    const second = watch(pool.acquire({ timeoutMs: 1_000 }));
    await clock.advance(100);
    expect(first.state).toBe('rejected');
    await clock.advance(50);
    expect(second.state).toBe('fulfilled');
    expect(f.calls.create).toBe(1);
    second.value!.release();
    await pool.close();
  });
});

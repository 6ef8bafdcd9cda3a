import { describe, expect, it } from 'vitest';
import { CreateError } from '../../../src/index.js';
import { flush, setup, watch } from '../helpers.js';

describe('failFast', () => {
  it('rejects waiters with the create error at once while the backend is down', async () => {
    const { clock, f, pool } = setup({ failFast: true, acquireTimeoutMs: 30_000 });
    f.defaults.create = 'reject';
    const a = watch(pool.acquire());
    const b = watch(pool.acquire());
    await flush();
    expect(a.state).toBe('rejected');
    expect(b.state).toBe('rejected');
    expect(a.error).toBeInstanceOf(CreateError);
    expect((a.error as CreateError).message).toBe('create failed: connect ECONNREFUSED');
    // Inside the backoff window: rejected without even trying.
    const calls = f.calls.create;
    await expect(pool.acquire()).rejects.toBeInstanceOf(CreateError);
    expect(f.calls.create).toBe(calls);
    expect(clock.now()).toBe(0);
    await pool.close();
  });

  it('recovers: after the backoff window an acquire probes the backend again', async () => {
    const { clock, f, pool } = setup({ failFast: true });
    f.next('create', 'reject');
    await expect(pool.acquire()).rejects.toBeInstanceOf(CreateError);
    await clock.advance(100); // the first backoff step is at most 100 ms
    const lease = await pool.acquire();
    expect(lease.resource.id).toBe(1);
    lease.release();
    await pool.close();
  });

  it('without failFast waiters keep waiting through failures', async () => {
    const { clock, f, pool } = setup({ acquireTimeoutMs: 30_000 });
    f.next('create', 'reject', 'reject');
    const a = watch(pool.acquire());
    await clock.advance(1_000);
    expect(a.state).toBe('fulfilled');
    a.value!.release();
    await pool.close();
  });
});

import { describe, expect, it } from 'vitest';
import { flush, setup, watch } from '../helpers.js';

describe('reset on release', () => {
  it('resets each released resource before reuse', async () => {
    const { f, pool } = setup({ max: 1 }, { reset: true });
    const a = await pool.acquire();
    a.release();
    await flush();
    expect(f.calls.reset).toBe(1);
    const b = await pool.acquire();
    expect(b.resource.id).toBe(1);
    b.release();
    await pool.close();
  });

  it('a synchronous reset hands the resource on in the same tick (as pg.Pool does)', async () => {
    const { f, pool } = setup({ max: 2 }, { reset: true });
    const a = await pool.acquire();
    a.release();
    expect(f.calls.reset).toBe(1);
    expect(pool.stats()).toMatchObject({ idle: 1, checking: 0, borrowed: 0 });
    const b = await pool.acquire();
    const c = await pool.acquire();
    const waiting = watch(pool.acquire());
    await flush();
    expect(pool.stats().pending).toBe(1);
    b.release();
    expect(f.calls.reset).toBe(2);
    expect(pool.stats()).toMatchObject({ pending: 0, borrowed: 2, checking: 0 });
    await flush();
    expect(waiting.state).toBe('fulfilled');
    waiting.value!.release();
    c.release();
    await pool.close();
  });

  it('a resource is not handed out while its reset runs', async () => {
    const { clock, f, pool } = setup({ max: 1 }, { reset: true, delayMs: { reset: 50 } });
    const a = await pool.acquire();
    a.release();
    const p = watch(pool.acquire());
    await clock.advance(49);
    expect(p.state).toBe('pending');
    await clock.advance(1);
    expect(p.state).toBe('fulfilled');
    expect(f.calls.create).toBe(1);
    p.value!.release();
    await clock.advance(50);
    await pool.close();
  });

  it('a reset that throws destroys the resource instead', async () => {
    const { f, pool } = setup({ max: 1 }, { reset: true });
    const errors: unknown[] = [];
    pool.on('error', (e) => errors.push(e));
    f.next('reset', 'throw');
    (await pool.acquire()).release();
    await flush();
    expect(f.destroyCount.get(1)).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 0, resetFailures: 1 });
    expect(errors[0]).toMatchObject({ code: 'ERR_POOL_RESET', phase: 'reset', message: 'reset failed: reset threw' });
    const b = await pool.acquire();
    expect(b.resource.id).toBe(2);
    b.release();
    await pool.close();
  });

  it('a reset that rejects destroys the resource instead', async () => {
    const { f, pool } = setup({ max: 1 }, { reset: true });
    f.next('reset', 'reject');
    (await pool.acquire()).release();
    await flush();
    expect(f.destroyCount.get(1)).toBe(1);
    await pool.close();
  });

  it('a reset that hangs is bounded by resetTimeoutMs, then the resource is destroyed', async () => {
    const { clock, f, pool } = setup({ max: 1, resetTimeoutMs: 300 }, { reset: true });
    f.next('reset', 'never');
    (await pool.acquire()).release();
    const p = watch(pool.acquire());
    await clock.advance(299);
    expect(p.state).toBe('pending');
    expect(f.calls.destroy).toBe(0);
    await clock.advance(1);
    expect(f.destroyCount.get(1)).toBe(1);
    expect(p.state).toBe('fulfilled');
    expect(p.value!.resource.id).toBe(2);
    p.value!.release();
    await pool.close();
  });

  it('resetTimeoutMs defaults to validateTimeoutMs', async () => {
    const { clock, f, pool } = setup({ max: 1, validateTimeoutMs: 1_000 }, { reset: true });
    f.next('reset', 'never');
    (await pool.acquire()).release();
    await clock.advance(999);
    expect(f.calls.destroy).toBe(0);
    await clock.advance(1);
    expect(f.calls.destroy).toBe(1);
    await pool.close();
  });

  it('lease.destroy() skips the reset', async () => {
    const { f, pool } = setup({ max: 1 }, { reset: true });
    (await pool.acquire()).destroy(new Error('broken'));
    expect(f.calls.reset).toBe(0);
    expect(f.calls.destroy).toBe(1);
    await pool.close();
  });
});

import { describe, expect, it } from 'vitest';
import { flush, setup, watch } from '../helpers.js';

describe('validation on acquire', () => {
  it('validates only when idle longer than validateAfterIdleMs (default 500)', async () => {
    const { clock, f, pool } = setup({ max: 1 }, { validate: true });
    const a = await pool.acquire();
    a.release();
    await clock.advance(500);
    (await pool.acquire()).release();
    expect(f.calls.validate).toBe(0);
    await clock.advance(501);
    const b = await pool.acquire();
    expect(f.calls.validate).toBe(1);
    expect(b.resource.id).toBe(1);
    b.release();
    await pool.close();
  });

  it('validateAfterIdleMs 0 validates on every acquire from idle', async () => {
    const { f, pool } = setup({ max: 1, validateAfterIdleMs: 0 }, { validate: true });
    (await pool.acquire()).release();
    (await pool.acquire()).release();
    (await pool.acquire()).release();
    expect(f.calls.validate).toBe(2);
    await pool.close();
  });

  it('a failed validation destroys the resource and the acquire goes on with another', async () => {
    const { clock, f, pool } = setup({ max: 2 }, { validate: true });
    const a = await pool.acquire();
    const b = await pool.acquire();
    a.release();
    b.release();
    await clock.advance(1_000);
    f.next('validate', () => false, 'throw');
    const c = await pool.acquire();
    expect(f.calls.validate).toBe(2);
    expect(f.destroyCount.get(1)).toBe(1);
    expect(f.destroyCount.get(2)).toBe(1);
    expect(c.resource.id).toBe(3);
    expect(pool.stats().validationFailures).toBe(2);
    c.release();
    await pool.close();
  });

  it('a validation that hangs is bounded by validateTimeoutMs and counts as failed', async () => {
    const { clock, f, pool } = setup({ max: 1, validateTimeoutMs: 200 }, { validate: true });
    (await pool.acquire()).release();
    await clock.advance(1_000);
    f.next('validate', 'never');
    const p = watch(pool.acquire());
    await clock.advance(199);
    expect(p.state).toBe('pending');
    await clock.advance(1);
    expect(p.state).toBe('fulfilled');
    expect(p.value!.resource.id).toBe(2);
    const signal = f.signals.find((s) => s.aborted)!;
    expect(signal.reason).toMatchObject({ code: 'ERR_POOL_VALIDATION', message: 'validate timed out after 200 ms' });
    p.value!.release();
    await pool.close();
  });

  it('reports validation errors through the error event', async () => {
    const { clock, f, pool } = setup({ max: 1 }, { validate: true });
    const errors: unknown[] = [];
    pool.on('error', (e) => errors.push(e));
    (await pool.acquire()).release();
    await clock.advance(1_000);
    f.next('validate', 'reject');
    (await pool.acquire()).release();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_POOL_VALIDATION', message: 'validate failed: validate rejected' });
    await pool.close();
  });

  it('does not validate a resource handed straight from release to a waiter', async () => {
    const { clock, f, pool } = setup({ max: 1 }, { validate: true });
    const a = await pool.acquire();
    const p = watch(pool.acquire());
    await clock.advance(2_000);
    a.release();
    await flush();
    expect(p.state).toBe('fulfilled');
    expect(f.calls.validate).toBe(0);
    p.value!.release();
    await pool.close();
  });
});

import { describe, expect, it } from 'vitest';
import { CreateError } from '../../../src/index.js';
import { flush, setup } from '../helpers.js';

describe('createTimeoutMs', () => {
  it('aborts the signal handed to create', async () => {
    const { clock, f, pool } = setup({ min: 1, createTimeoutMs: 200 });
    f.next('create', 'abortable');
    const ready = pool.ready().catch((e: unknown) => e);
    await clock.advance(199);
    expect(f.signals[0].aborted).toBe(false);
    await clock.advance(1);
    expect(f.signals[0].aborted).toBe(true);
    expect(f.signals[0].reason).toBeInstanceOf(CreateError);
    const e = (await ready) as CreateError;
    expect(e).toBeInstanceOf(CreateError);
    expect(e.message).toBe('create timed out after 200 ms (factory.create() did not settle)');
    expect(pool.stats()).toMatchObject({ createErrors: 1, creating: 0 });
    await pool.close();
  });

  it('a resource that arrives after the timeout is destroyed, never pooled', async () => {
    const { clock, f, pool } = setup({ max: 1, createTimeoutMs: 100, acquireTimeoutMs: 10_000 });
    const destroyed: unknown[] = [];
    pool.on('destroy', (r) => destroyed.push(r));
    f.next('create', 'never');
    const p = pool.acquire();
    await clock.advance(100);
    expect(f.signals[0].aborted).toBe(true);
    // The retry (after backoff) succeeds and serves the waiter.
    await clock.advance(200);
    const lease = await p;
    expect(lease.resource.id).toBe(1);
    // Now the first, abandoned create finally delivers.
    const late = f.make();
    f.held[0].resolve(late);
    await flush();
    expect(f.destroyCount.get(late.id)).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 1, borrowed: 1, idle: 0 });
    const s = pool.stats();
    expect(s.created - s.destroyed).toBe(s.size);
    lease.release();
    await pool.close();
    expect(f.allDestroyedOnce()).toBe(true);
  });

  it('defaults to acquireTimeoutMs', async () => {
    const { clock, f, pool } = setup({ min: 1, acquireTimeoutMs: 700 });
    f.next('create', 'never');
    await clock.advance(699);
    expect(f.signals[0].aborted).toBe(false);
    await clock.advance(1);
    expect(f.signals[0].aborted).toBe(true);
    await pool.close();
  });

  it('close aborts creates in flight', async () => {
    const { f, pool } = setup({ min: 1 });
    f.next('create', 'abortable');
    await flush();
    expect(pool.stats().creating).toBe(1);
    await pool.close();
    expect(f.signals[0].aborted).toBe(true);
    expect(f.signals[0].reason).toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });
});

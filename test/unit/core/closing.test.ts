// A resource whose destroy has not settled is still open on the backend: it counts against
// max (stats().closing) until the destroy settles or destroyTimeoutMs runs out.
import { describe, expect, it } from 'vitest';
import type { PoolError } from '../../../src/index.js';
import { EarlyTimersClock } from '../../support/manual-clock.js';
import { setup, watch } from '../helpers.js';

describe('closing resources count against max', () => {
  it('a waiter gets a new resource only once the old one has finished closing', async () => {
    const { clock, f, pool } = setup({ max: 1, maxLifetimeMs: 0, idleTimeoutMs: 0 });
    f.defaults.destroy = () => new Promise<void>((r) => clock.setTimer(r, 20, true));
    const a = await pool.acquire();
    a.destroy(new Error('broken'));
    expect(pool.stats()).toMatchObject({ size: 0, closing: 1 });
    const next = watch(pool.acquire());
    await clock.advance(19);
    expect(f.calls.create).toBe(1); // the closing one still holds the only place
    expect(next.state).toBe('pending');
    await clock.advance(1);
    expect(pool.stats().closing).toBe(0);
    expect(f.calls.create).toBe(2);
    expect(next.state).toBe('fulfilled');
    next.value!.release();
    const closed = pool.close();
    await clock.advance(20); // its destroy, too, takes 20 ms: close waits for it
    await closed;
  });

  it('a destroy that hangs stops counting after destroyTimeoutMs, reported as ERR_POOL_DESTROY_TIMEOUT', async () => {
    const { clock, f, pool } = setup({ max: 1, destroyTimeoutMs: 50, maxLifetimeMs: 0, idleTimeoutMs: 0 });
    const errors: PoolError[] = [];
    pool.on('error', (e) => errors.push(e));
    f.next('destroy', 'never');
    const a = await pool.acquire();
    a.destroy();
    const next = watch(pool.acquire());
    await clock.advance(49);
    expect(pool.stats().closing).toBe(1);
    expect(next.state).toBe('pending');
    await clock.advance(1);
    expect(pool.stats().closing).toBe(0);
    expect(next.state).toBe('fulfilled');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_POOL_DESTROY_TIMEOUT', phase: 'destroy', pool: 'x' });
    expect(errors[0].message).toBe('destroy did not settle within 50 ms; no longer counted against the limit');
    next.value!.release();
    await pool.close();
  });

  it('a destroy timer that fires early by the clock waits out the rest: the place is held for the full destroyTimeoutMs', async () => {
    const clock = new EarlyTimersClock();
    const { f, pool } = setup({ clock, max: 1, destroyTimeoutMs: 50, maxLifetimeMs: 0, idleTimeoutMs: 0 });
    pool.on('error', () => {});
    f.next('destroy', 'never');
    const a = await pool.acquire();
    a.destroy();
    const next = watch(pool.acquire());
    await clock.advance(49.7); // the 50 ms timer fires here, 0.4 ms early
    expect(pool.stats().closing).toBe(1);
    expect(f.calls.create).toBe(1);
    expect(next.state).toBe('pending');
    await clock.advance(1); // armed again for the rest
    expect(pool.stats().closing).toBe(0);
    expect(next.state).toBe('fulfilled');
    next.value!.release();
    await pool.close();
  });

  it('destroyTimeoutMs: Infinity counts a hung destroy for ever', async () => {
    const { clock, f, pool } = setup({ max: 1, destroyTimeoutMs: Infinity, maxLifetimeMs: 0, idleTimeoutMs: 0 });
    f.next('destroy', 'never');
    (await pool.acquire()).destroy();
    const next = watch(pool.acquire({ timeoutMs: 1_000 }));
    await clock.advance(1_000);
    expect(next.state).toBe('rejected');
    expect(pool.stats()).toMatchObject({ closing: 1, size: 0 });
    expect(f.calls.create).toBe(1);
    const closed = watch(pool.close({ timeoutMs: 10 }));
    await clock.advance(10);
    expect(closed.value).toEqual({ forced: 0, unsettledDestroys: 1 });
  });

  it('close() waits for closing destroys, up to destroyTimeoutMs', async () => {
    const { clock, f, pool } = setup({ max: 2, destroyTimeoutMs: 100 });
    f.next('destroy', 'never');
    (await pool.acquire()).release();
    const closed = watch(pool.close());
    await clock.advance(99);
    expect(closed.state).toBe('pending');
    await clock.advance(1);
    expect(closed.state).toBe('fulfilled');
    expect(closed.value).toEqual({ forced: 0, unsettledDestroys: 0 });
  });

  it('options: destroyTimeoutMs must be a positive duration or Infinity', () => {
    expect(() => setup({ destroyTimeoutMs: 0 })).toThrow(
      'destroyTimeoutMs: expected a positive duration in ms or Infinity, got 0',
    );
    expect(() => setup({ destroyTimeoutMs: -1 })).toThrow(/destroyTimeoutMs/);
  });
});

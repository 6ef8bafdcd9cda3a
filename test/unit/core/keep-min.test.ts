/**
 * `keepMin: false` (`min` only a floor for idle reaping; `ready()` opens it once) and
 * `PoolInternals.createFailureHandled()` (a create failure handed to its caller opens no
 * backoff window): what PgPool needs to be pg.Pool.
 */
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../../src/index.js';
import { poolInternals } from '../../../src/core/pool.js';
import type { WaitHandle } from '../../../src/core/internal.js';
import { flush, setup, watch, type Res } from '../helpers.js';

describe('keepMin', () => {
  it('true (the default): min is opened at start and reopened after a removal', async () => {
    const { f, pool } = setup({ min: 2, max: 4 });
    await flush();
    expect(f.calls.create).toBe(2);
    const lease = await pool.acquire();
    lease.destroy(new Error('broken'));
    await flush();
    expect(f.calls.create).toBe(3);
    expect(pool.config().keepMin).toBe(true);
    await pool.close();
  });

  it('false: nothing is opened for min, at start or after removals', async () => {
    const { f, pool } = setup({ min: 2, max: 4, keepMin: false });
    await flush();
    expect(f.calls.create).toBe(0);
    const lease = await pool.acquire(); // a caller gets one made for it
    expect(f.calls.create).toBe(1);
    lease.destroy(new Error('broken'));
    await flush();
    expect(f.calls.create).toBe(1);
    expect(pool.stats()).toMatchObject({ size: 0, min: 2 });
    await pool.close();
  });

  it('false: ready() opens min once; a later removal is not refilled', async () => {
    const { f, pool } = setup({ min: 2, max: 4, keepMin: false });
    await pool.ready();
    expect(pool.stats()).toMatchObject({ size: 2, idle: 2 });
    const lease = await pool.acquire();
    lease.destroy(new Error('broken'));
    await flush();
    expect(f.calls.create).toBe(2);
    expect(pool.stats().size).toBe(1);
    await pool.close();
  });

  it('false: min is still the floor for idle reaping', async () => {
    const { clock, pool } = setup({ min: 1, max: 3, keepMin: false, idleTimeoutMs: 1_000, maxLifetimeMs: 0 });
    const leases: Lease<Res>[] = [];
    for (let i = 0; i < 3; i++) leases.push(await pool.acquire());
    for (const l of leases) l.release();
    await clock.advance(5_000);
    expect(pool.stats()).toMatchObject({ size: 1, idle: 1 });
    await pool.close();
  });

  it('rejects a non-boolean, naming the option', () => {
    expect(() => setup({ keepMin: 'no' as unknown as boolean })).toThrow(/^keepMin: expected a boolean, got "no"$/);
  });
});

describe('PoolInternals.createFailureHandled()', () => {
  /** A pool whose first create fails; its error is handed to the oldest waiter, as PgPool does. */
  function failingOnce(handled: boolean) {
    const { clock, f, pool } = setup({ max: 2, createRetry: { baseMs: 1_000, capMs: 1_000 } });
    f.next('create', 'reject');
    const internals = poolInternals(pool);
    const handle: WaitHandle<Res> = { waiter: null };
    const first = watch(internals.acquireQueued(handle));
    const waiter = handle.waiter!;
    pool.on('error', (e) => {
      if (e.phase !== 'create' || !internals.withdraw(waiter, e.cause)) return;
      if (handled) internals.createFailureHandled();
    });
    return { clock, f, pool, first };
  }

  it('the next create starts at once: the failure went to its caller', async () => {
    const { f, pool, first } = failingOnce(true);
    await flush();
    expect(first.state).toBe('rejected');
    expect((first.error as Error).message).toBe('connect ECONNREFUSED');
    const second = watch(pool.acquire());
    await flush();
    expect(f.calls.create).toBe(2);
    expect(second.state).toBe('fulfilled');
    (second.value as Lease<Res>).release();
    await pool.close();
  });

  it('without it the next create waits out the backoff', async () => {
    const { clock, f, pool, first } = failingOnce(false);
    await flush();
    expect(first.state).toBe('rejected');
    const second = watch(pool.acquire());
    await flush();
    expect(f.calls.create).toBe(1);
    await clock.advance(1_000);
    expect(f.calls.create).toBe(2);
    expect(second.state).toBe('fulfilled');
    (second.value as Lease<Res>).release();
    await pool.close();
  });
});

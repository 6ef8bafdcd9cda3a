// A frozen process (serverless freeze, suspended laptop, SIGSTOP) comes back with idle
// resources the backend may have dropped: the pool notices (a wall clock that jumped
// against the monotonic clock, or a timer that fired much too late) and checks every idle
// resource before lending it again. On the injected clock; test/chaos/thaw-sigstop.test.ts
// does it once for real.
import { describe, expect, it } from 'vitest';
import type { ThawInfo } from '../../../src/index.js';
import { setup } from '../helpers.js';

/** A pool with one idle resource, a validate hook that records its calls, and the thaw events it emits. */
async function idlePool(options: Parameters<typeof setup>[0] = {}, validate = true) {
  const x = setup({ max: 2, validateAfterIdleMs: 60_000, ...options }, { validate });
  const thaws: ThawInfo[] = [];
  x.pool.on('thaw', (info) => thaws.push(info));
  const validated: number[] = [];
  x.f.defaults.validate = (r) => {
    validated.push(r!.id);
    return true;
  };
  (await x.pool.acquire()).release();
  return { ...x, thaws, validated };
}

describe('thaw', () => {
  it('a wall clock that jumped further than the monotonic clock: idle resources are validated before the next lend', async () => {
    const { clock, pool, thaws, validated } = await idlePool();
    await clock.advance(1_000);
    clock.jumpWall(60_000); // the machine slept for a minute; the monotonic clock did not count it
    await clock.advance(250); // the next firing of the pool's timer sees it
    expect(thaws).toEqual([{ awayMs: 60_000 }]);
    expect(validated).toEqual([]);
    const lease = await pool.acquire();
    expect(validated).toEqual([lease.resource.id]);
    lease.release();
    await pool.close();
  });

  it('a timer that fires much too late (the process was stopped): the same', async () => {
    const { clock, pool, thaws, validated } = await idlePool();
    clock.stall(30_000); // frozen: time passes, no timer runs
    await clock.advance(0); // thawed: the overdue timer fires, about 28.75 s late
    expect(thaws).toHaveLength(1);
    expect(thaws[0].awayMs).toBeGreaterThan(28_000);
    const lease = await pool.acquire();
    expect(validated).toEqual([lease.resource.id]);
    lease.release();
    await pool.close();
  });

  it('a lend that finds the timer overdue checks before the late timer runs', async () => {
    const { clock, pool, thaws, validated, f } = await idlePool();
    clock.stall(30_000);
    const lease = await pool.acquire(); // a request handled before the timers phase
    expect(thaws).toHaveLength(1);
    expect(validated).toEqual([lease.resource.id]);
    expect(f.calls.create).toBe(1);
    await clock.advance(0); // the late timer now runs: the thaw was already seen
    expect(thaws).toHaveLength(1);
    lease.release();
    await pool.close();
  });

  it('without a validate hook, idle resources are destroyed instead (reason validation)', async () => {
    const { clock, pool, thaws, f } = await idlePool({}, false);
    const reasons: unknown[] = [];
    pool.on('destroy', (_r, reason) => reasons.push(reason));
    clock.stall(30_000);
    await clock.advance(0);
    expect(thaws).toHaveLength(1);
    expect(reasons).toEqual(['not validated after a thaw']);
    expect(pool.stats().destroyedBy.validation).toBe(1);
    const lease = await pool.acquire();
    expect(lease.resource.id).toBe(2);
    expect(f.calls.create).toBe(2);
    lease.release();
    await pool.close();
  });

  it('an event-loop stall shorter than thawAfterMs is not a thaw, even at the worst moment', async () => {
    const { clock, pool, thaws, validated } = await idlePool();
    await clock.advance(1_249); // the timer is due at 1 250
    clock.stall(4_999); // blocked just under thawAfterMs (5 000)
    await clock.advance(0);
    expect(thaws).toEqual([]);
    (await pool.acquire()).release();
    expect(validated).toEqual([]);
    await pool.close();
  });

  it('thawAfterMs: 0 turns it off', async () => {
    const { clock, pool, thaws, validated } = await idlePool({ thawAfterMs: 0 });
    clock.stall(30_000);
    clock.jumpWall(60_000);
    await clock.advance(0);
    (await pool.acquire()).release();
    expect(thaws).toEqual([]);
    expect(validated).toEqual([]);
    await pool.close();
  });

  it('options: thawAfterMs must be a non-negative duration', () => {
    expect(() => setup({ thawAfterMs: -1 })).toThrow('thawAfterMs: expected a non-negative duration in ms, got -1');
  });
});

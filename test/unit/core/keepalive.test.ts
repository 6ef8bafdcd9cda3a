import { describe, expect, it } from 'vitest';
import { setup } from '../helpers.js';

describe('keepaliveMs', () => {
  it('validates idle resources on that period', async () => {
    const { clock, f, pool } = setup(
      { min: 2, max: 2, keepaliveMs: 1_000, idleTimeoutMs: 0, maxLifetimeMs: 0 },
      { validate: true },
    );
    await pool.ready();
    await clock.advance(999);
    expect(f.calls.validate).toBe(0);
    await clock.advance(1); // sweeps every 250 ms
    expect(f.calls.validate).toBe(2);
    await clock.advance(1_000);
    expect(f.calls.validate).toBe(4);
    expect(pool.stats()).toMatchObject({ idle: 2, size: 2, validationFailures: 0 });
    await pool.close();
  });

  it('replaces a resource that fails its keepalive', async () => {
    const { clock, f, pool } = setup(
      { min: 2, max: 2, keepaliveMs: 1_000, idleTimeoutMs: 0, maxLifetimeMs: 0 },
      { validate: true },
    );
    await pool.ready();
    f.next('validate', () => false, 'reject');
    await clock.advance(1_000);
    expect(f.calls.destroy).toBe(2);
    expect(f.destroyCount.get(1)).toBe(1);
    expect(f.destroyCount.get(2)).toBe(1);
    expect(pool.stats()).toMatchObject({ idle: 2, size: 2, validationFailures: 2 });
    expect(f.created.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    await pool.close();
  });

  it('a keepalive that hangs is bounded by validateTimeoutMs', async () => {
    const { clock, f, pool } = setup(
      { min: 1, max: 1, keepaliveMs: 1_000, validateTimeoutMs: 300, idleTimeoutMs: 0, maxLifetimeMs: 0 },
      { validate: true },
    );
    await pool.ready();
    f.next('validate', 'never');
    await clock.advance(1_000);
    expect(pool.stats().checking).toBe(1);
    await clock.advance(300);
    expect(f.signals.filter((x) => x.aborted)).toHaveLength(1);
    expect(pool.stats()).toMatchObject({ checking: 0, idle: 1, validationFailures: 1 });
    expect(f.destroyCount.get(1)).toBe(1);
    await pool.close();
  });

  it('does not ping resources that were used recently', async () => {
    const { clock, f, pool } = setup(
      { max: 1, keepaliveMs: 1_000, idleTimeoutMs: 0, maxLifetimeMs: 0 },
      { validate: true },
    );
    for (let i = 0; i < 10; i++) {
      await pool.use(() => {});
      await clock.advance(400);
    }
    expect(f.calls.validate).toBe(0);
    await pool.close();
  });

  it('a waiter arriving during a keepalive gets the resource when it passes', async () => {
    const { clock, f, pool } = setup(
      { max: 1, keepaliveMs: 1_000, idleTimeoutMs: 0, maxLifetimeMs: 0, validateAfterIdleMs: 60_000 },
      { validate: true, delayMs: { validate: 100 } },
    );
    await pool.use(() => {});
    await clock.advance(1_000);
    expect(pool.stats().checking).toBe(1);
    const p = pool.acquire();
    await clock.advance(100);
    const l = await p;
    expect(l.resource.id).toBe(1);
    expect(f.calls.create).toBe(1);
    l.release();
    await pool.close();
  });

  it('a keepalive ping is not a use: idle resources above min still reach their idle timeout', async () => {
    const { clock, f, pool } = setup(
      { min: 1, max: 3, keepaliveMs: 1_000, idleTimeoutMs: 3_000, maxLifetimeMs: 0 },
      { validate: true },
    );
    const ls = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
    for (const l of ls) l.release();
    await clock.advance(2_999);
    expect(f.calls.validate).toBeGreaterThanOrEqual(3);
    expect(pool.stats().idle).toBe(3);
    await clock.advance(1_000);
    expect(pool.stats()).toMatchObject({ idle: 1, size: 1 });
    await pool.close();
  });
});

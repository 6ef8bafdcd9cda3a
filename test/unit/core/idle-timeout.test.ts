import { describe, expect, it } from 'vitest';
import type { Lease } from '../../../src/index.js';
import { setup, type Res } from '../helpers.js';

describe('idleTimeoutMs', () => {
  it('destroys idle resources above min after the timeout, never going below min', async () => {
    const { clock, f, pool } = setup({ min: 1, max: 4, idleTimeoutMs: 1_000, maxLifetimeMs: 0 });
    await pool.ready();
    const leases: Lease<Res>[] = [];
    for (let i = 0; i < 4; i++) leases.push(await pool.acquire());
    for (const l of leases) l.release();
    expect(pool.stats().idle).toBe(4);
    await clock.advance(999);
    expect(pool.stats().idle).toBe(4);
    await clock.advance(1_000); // the sweep runs every 250 ms: within a quarter of the timeout
    expect(pool.stats()).toMatchObject({ size: 1, idle: 1 });
    expect(f.calls.destroy).toBe(3);
    await clock.advance(100_000);
    expect(pool.stats()).toMatchObject({ size: 1, idle: 1 });
    expect(f.calls.destroy).toBe(3);
    await pool.close();
  });

  it('counts idle time from the last release, not from creation', async () => {
    const { clock, f, pool } = setup({ max: 2, idleTimeoutMs: 1_000, maxLifetimeMs: 0 });
    const a = await pool.acquire();
    await clock.advance(5_000);
    a.release();
    await clock.advance(500);
    expect(pool.stats().idle).toBe(1);
    await clock.advance(750);
    expect(pool.stats().idle).toBe(0);
    expect(f.calls.destroy).toBe(1);
    await pool.close();
  });

  it('0 never reaps', async () => {
    const { clock, pool } = setup({ max: 2, idleTimeoutMs: 0, maxLifetimeMs: 0 });
    const a = await pool.acquire();
    a.release();
    await clock.advance(10_000_000);
    expect(pool.stats().idle).toBe(1);
    expect(clock.pending).toBe(0); // no housekeeper at all when nothing needs sweeping
    await pool.close();
  });

  it('the reaped resource is the least recently used one', async () => {
    const { clock, pool } = setup({ min: 1, max: 2, idleTimeoutMs: 1_000, maxLifetimeMs: 0 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const bId = b.resource.id;
    a.release();
    await clock.advance(600);
    b.release();
    await clock.advance(600); // a idle 1200, b idle 600
    const c = await pool.acquire();
    expect(c.resource.id).toBe(bId);
    c.release();
    await pool.close();
  });
});

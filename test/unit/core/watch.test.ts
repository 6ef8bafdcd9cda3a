import { describe, expect, it } from 'vitest';
import { flush, setup, watch } from '../helpers.js';

describe('watch', () => {
  it('evicts an idle resource the moment the adapter reports it dead, and refills min', async () => {
    const { f, pool } = setup({ min: 2, max: 2 }, { watch: true });
    const destroyed: unknown[] = [];
    pool.on('destroy', (r, reason) => destroyed.push([r.id, reason]));
    await pool.ready();
    const reason = new Error('socket closed');
    f.evict(1, reason);
    expect(f.destroyCount.get(1)).toBe(1); // synchronously
    expect(destroyed).toEqual([[1, reason]]);
    expect(f.unwatched).toBe(1);
    await flush();
    expect(pool.stats()).toMatchObject({ idle: 2, size: 2 });
    await pool.close();
    expect(f.unwatched).toBe(3);
    expect(f.evictors.size).toBe(0);
  });

  it('a borrowed resource reported dead is destroyed on release, never handed out again', async () => {
    const { f, pool } = setup({ max: 1 }, { watch: true });
    const a = await pool.acquire();
    f.evict(1);
    expect(f.calls.destroy).toBe(0);
    expect(a.resource.id).toBe(1);
    a.release();
    expect(f.destroyCount.get(1)).toBe(1);
    const b = await pool.acquire();
    expect(b.resource.id).toBe(2);
    b.release();
    await pool.close();
  });

  it('a resource reported dead during its reset is destroyed', async () => {
    const { clock, f, pool } = setup({ max: 1 }, { watch: true, reset: true, delayMs: { reset: 10 } });
    (await pool.acquire()).release();
    f.evict(1);
    await clock.advance(10);
    expect(f.destroyCount.get(1)).toBe(1);
    expect(pool.stats().size).toBe(0);
    await pool.close();
  });

  it('a second eviction report is ignored', async () => {
    const { f, pool } = setup({ min: 1 }, { watch: true });
    await pool.ready();
    const evict = f.evictors.get(1)!;
    evict('dead');
    evict('dead again');
    expect(f.destroyCount.get(1)).toBe(1);
    await pool.close();
  });

  it('a resource reported dead while watching starts is never handed out, and counts as a failed create', async () => {
    const { clock, f, pool } = setup({ max: 1, acquireTimeoutMs: 1_000 });
    (f as { watch?: unknown }).watch = (_r: unknown, evict: (x: unknown) => void) => {
      evict(new Error('ECONNRESET'));
      return () => {};
    };
    const p = watch(pool.acquire());
    await clock.advance(1_000);
    expect(p.state).toBe('rejected');
    expect((p.error as Error).message).toMatch(/; last create error: ECONNRESET$/);
    // Backoff, not a tight create/destroy loop: 100, 200, 400 ms steps (with jitter) in one second.
    expect(f.calls.create).toBeGreaterThanOrEqual(3);
    expect(f.calls.create).toBeLessThanOrEqual(10);
    expect(f.allDestroyedOnce()).toBe(true);
    expect(pool.stats()).toMatchObject({
      createErrors: f.calls.create,
      created: f.calls.create,
      destroyed: f.calls.create,
    });
    await pool.close();
  });
});

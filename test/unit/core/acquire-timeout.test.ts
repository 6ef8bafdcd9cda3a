import { describe, expect, it } from 'vitest';
import { AcquireTimeoutError, type CreateError, PoolError } from '../../../src/index.js';
import { flush, setup, watch } from '../helpers.js';

describe('acquire timeout', () => {
  it('rejects with AcquireTimeoutError showing the counts', async () => {
    const { clock, pool } = setup({ max: 2, acquireTimeoutMs: 100 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const waiting = [watch(pool.acquire()), watch(pool.acquire()), watch(pool.acquire())];
    await clock.advance(99);
    expect(waiting.map((w) => w.state)).toEqual(['pending', 'pending', 'pending']);
    await clock.advance(1);
    for (const w of waiting) {
      expect(w.state).toBe('rejected');
      const e = w.error as AcquireTimeoutError;
      expect(e).toBeInstanceOf(AcquireTimeoutError);
      expect(e).toBeInstanceOf(PoolError);
      expect(e.name).toBe('AcquireTimeoutError');
      expect(e.code).toBe('ERR_POOL_ACQUIRE_TIMEOUT');
      expect(e.phase).toBe('wait');
      expect(e.pool).toBe('x');
      expect(e.message).toBe('acquire timed out after 100 ms (pool "x": 2/2 borrowed, 0 idle, 0 creating, 3 waiting)');
      expect(e.counts).toEqual({ size: 2, idle: 0, borrowed: 2, pending: 3, creating: 0, max: 2 });
      expect(e.cause).toBeUndefined();
    }
    expect(pool.stats()).toMatchObject({ timeouts: 3, pending: 0 });
    a.release();
    b.release();
    await pool.close();
    expect(clock.pending).toBe(0);
  });

  it('timeout errors carry no stack trace (built stackless in one batch), each its own object and message; listeners run with the normal stack limit', async () => {
    const { clock, pool } = setup({ max: 1, acquireTimeoutMs: 100 });
    const held = await pool.acquire();
    const limit = Error.stackTraceLimit;
    const seen: number[] = [];
    pool.on('timeout', () => seen.push(Error.stackTraceLimit));
    const a = watch(pool.acquire({ timeoutMs: 50 }));
    const b = watch(pool.acquire());
    await clock.advance(50);
    const c = watch(pool.acquire({ timeoutMs: 50 }));
    await clock.advance(50); // b (100 ms) and c (50 ms) expire in the same batch
    const [ea, eb, ec] = [a, b, c].map((w) => w.error as AcquireTimeoutError);
    expect(eb.message).toMatch(/^acquire timed out after 100 ms \(/);
    expect(ec.message).toMatch(/^acquire timed out after 50 ms \(/);
    for (const e of [ea, eb, ec]) {
      expect(e).toBeInstanceOf(AcquireTimeoutError);
      expect(e.stack).toBe(`AcquireTimeoutError: ${e.message}`);
    }
    expect(eb).not.toBe(ec);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(seen).toEqual([limit, limit, limit]);
    held.release();
    await pool.close();
  });

  it('per-call timeoutMs overrides the pool default; Infinity waits forever', async () => {
    const { clock, pool } = setup({ max: 1, acquireTimeoutMs: 100 });
    const a = await pool.acquire();
    const short = watch(pool.acquire({ timeoutMs: 10 }));
    const long = watch(pool.acquire({ timeoutMs: Infinity }));
    const normal = watch(pool.acquire());
    await clock.advance(10);
    expect(short.state).toBe('rejected');
    expect((short.error as Error).message).toMatch(/^acquire timed out after 10 ms/);
    await clock.advance(90);
    expect(normal.state).toBe('rejected');
    await clock.advance(1_000_000);
    expect(long.state).toBe('pending');
    a.release();
    await flush();
    expect(long.state).toBe('fulfilled');
    long.value!.release();
    await pool.close();
  });

  it('has the last create error as cause when creates fail', async () => {
    const { clock, f, pool } = setup({ acquireTimeoutMs: 1_000 });
    f.defaults.create = 'reject';
    const p = watch(pool.acquire());
    await clock.advance(1_000);
    const e = p.error as AcquireTimeoutError;
    expect(e).toBeInstanceOf(AcquireTimeoutError);
    expect(e.message).toMatch(
      /^acquire timed out after 1000 ms \(pool "x": 0\/10 borrowed, 0 idle, \d creating, 1 waiting\); last create error: connect ECONNREFUSED$/,
    );
    expect((e.cause as Error).message).toBe('connect ECONNREFUSED');
    expect(pool.stats().createErrors).toBeGreaterThan(1);
    await pool.close();
  });

  it('says so when a create never settles', async () => {
    const { clock, f, pool } = setup({ acquireTimeoutMs: 500, createTimeoutMs: 10_000 });
    f.defaults.create = 'never';
    const p = watch(pool.acquire());
    await clock.advance(500);
    expect((p.error as Error).message).toBe(
      'acquire timed out after 500 ms (pool "x": 0/10 borrowed, 0 idle, 1 creating, 1 waiting); a create has been pending for 500 ms',
    );
    await pool.close();
  });

  it('emits timeout and leaves no timer behind once nobody waits', async () => {
    const { clock, pool } = setup({ max: 1, acquireTimeoutMs: 50, idleTimeoutMs: 0, maxLifetimeMs: 0 });
    const seen: AcquireTimeoutError[] = [];
    pool.on('timeout', (e) => seen.push(e));
    const a = await pool.acquire();
    const p = watch(pool.acquire());
    await clock.advance(50);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(p.error);
    expect(clock.pending).toBe(0);
    a.release();
    await pool.close();
  });

  it('CreateError cause is what the factory threw', async () => {
    const { pool, f } = setup({ min: 1 });
    const boom = new Error('bad password');
    f.next('create', () => Promise.reject(boom));
    const e = (await pool.ready().catch((x: unknown) => x)) as CreateError;
    expect(e.cause).toBe(boom);
    await pool.close();
  });
});

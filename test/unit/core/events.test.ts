import { describe, expect, it } from 'vitest';
import { AcquireTimeoutError, PoolError } from '../../../src/index.js';
import { flush, setup, watch } from '../helpers.js';

describe('events', () => {
  it('emits create, acquire, release and destroy with the resource', async () => {
    const { pool } = setup({ max: 1 });
    const log: string[] = [];
    pool.on('create', (r) => log.push(`create ${r.id}`));
    pool.on('acquire', (r) => log.push(`acquire ${r.id}`));
    pool.on('release', (r) => log.push(`release ${r.id}`));
    pool.on('destroy', (r, why) => log.push(`destroy ${r.id} ${String(why)}`));
    const a = await pool.acquire();
    a.release();
    await pool.use(() => {});
    (await pool.acquire()).destroy('broken');
    await pool.close();
    expect(log).toEqual([
      'create 1',
      'acquire 1',
      'release 1',
      'acquire 1',
      'release 1',
      'acquire 1',
      'release 1',
      'destroy 1 broken',
    ]);
  });

  it('emits timeout with the error', async () => {
    const { clock, pool } = setup({ max: 1 });
    const seen: unknown[] = [];
    pool.on('timeout', (e) => seen.push(e));
    const a = await pool.acquire();
    const p = watch(pool.acquire({ timeoutMs: 5 }));
    await clock.advance(5);
    expect(seen).toEqual([p.error]);
    expect(seen[0]).toBeInstanceOf(AcquireTimeoutError);
    a.release();
    await pool.close();
  });

  it('emits error for failures in create, destroy, reset and validate, with phase and resource', async () => {
    const { clock, f, pool } = setup({ max: 2 }, { reset: true, validate: true });
    const errors: [PoolError, unknown][] = [];
    pool.on('error', (e, r) => errors.push([e, r]));
    f.next('create', 'reject');
    const first = watch(pool.acquire());
    await clock.advance(200);
    const a = first.value!;
    f.next('reset', 'throw');
    f.next('destroy', 'reject');
    a.release();
    await flush();
    const b = await pool.acquire();
    b.release();
    await clock.advance(1_000);
    f.next('validate', 'throw');
    (await pool.acquire()).release();
    await flush();
    expect(errors.map(([e]) => [e.code, e.phase])).toEqual([
      ['ERR_POOL_CREATE', 'create'],
      ['ERR_POOL_RESET', 'reset'],
      ['ERR_POOL_DESTROY', 'destroy'],
      ['ERR_POOL_VALIDATION', 'validate'],
    ]);
    expect(errors.every(([e]) => e instanceof PoolError && e.pool === 'x')).toBe(true);
    expect(errors[1][1]).toEqual({ id: 1, dead: true });
    expect(errors[0][0].counts).toBeDefined();
    await pool.close();
  });

  it('no error listener is needed: failures in destroy, reset, validate, create and idle resources never throw', async () => {
    const { clock, f, pool } = setup(
      { min: 1, max: 2, keepaliveMs: 100 },
      { reset: true, validate: true, watch: true },
    );
    expect(pool.listenerCount('error')).toBe(0);
    f.next('create', 'reject');
    await clock.advance(200);
    f.next('reset', 'throw');
    f.defaults.destroy = 'throw';
    (await pool.acquire()).release();
    await flush();
    f.next('validate', 'reject');
    await clock.advance(200); // keepalive fails, destroy throws
    const l = await pool.acquire();
    f.evict(l.resource.id, new Error('idle death'));
    l.release();
    f.defaults.destroy = 'reject';
    await clock.advance(1_000);
    await pool.close();
    expect(pool.stats().resetFailures).toBe(1);
  });

  it('listeners for acquire/release can be added, removed, and survive removeAllListeners()', async () => {
    const { pool } = setup();
    let n = 0;
    const fn = (): void => void n++;
    pool.on('acquire', fn);
    (await pool.acquire()).release();
    expect(n).toBe(1);
    pool.off('acquire', fn);
    (await pool.acquire()).release();
    expect(n).toBe(1);
    pool.on('release', fn);
    pool.removeAllListeners();
    (await pool.acquire()).release();
    expect(n).toBe(1);
    pool.on('acquire', fn);
    pool.on('release', fn);
    (await pool.acquire()).release();
    expect(n).toBe(3);
    await pool.close();
  });
});

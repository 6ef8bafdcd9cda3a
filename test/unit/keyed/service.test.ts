/**
 * KeyedPool for services: perKey as a function of the key (tenants of different sizes),
 * advise(), resize(key, …), resetStats(), and the kill switch.
 */
import { describe, expect, it } from 'vitest';
import { KeyedPool, PoolOptionsError } from '../../../src/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { TestFactory, type Res } from '../../support/test-factory.js';

function keyed(options: Record<string, unknown> = {}) {
  const clock = new ManualClock();
  const factories = new Map<string, TestFactory>();
  const factory = (key: string) => {
    let f = factories.get(key);
    if (f === undefined) factories.set(key, (f = new TestFactory({ clock })));
    return f;
  };
  const pool = new KeyedPool<string, Res>({ factory, clock, name: 'k', ...options });
  return { clock, factories, pool };
}

const statsOf = (pool: KeyedPool<string, Res>, key: string) => pool.stats().perKey.find((s) => s.key === key)!;

describe('KeyedPool: perKey as a function of the key', () => {
  it('gives each key its own options, called when the key pool is made', async () => {
    const calls: string[] = [];
    const { pool } = keyed({
      perKey: (key: string) => {
        calls.push(key);
        return key === 'big' ? { max: 20, min: 2 } : { max: 2 };
      },
    });
    await pool.use('big', () => {});
    await pool.use('small', () => {});
    await pool.use('big', () => {});
    expect(calls).toEqual(['big', 'small']);
    expect(statsOf(pool, 'big')).toMatchObject({ max: 20, min: 2 });
    expect(statsOf(pool, 'small')).toMatchObject({ max: 2, min: 0 });
    await pool.close();
  });

  it("rejects a key's bad options when its pool is made, naming the key and the option", async () => {
    const { pool } = keyed({ perKey: (key: string) => (key === 'bad' ? { max: -1 } : {}), maxTotal: 5 });
    await pool.use('good', () => {});
    const e = await pool.acquire('bad').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PoolOptionsError);
    expect((e as Error).message).toBe('perKey(bad).max: expected a positive integer, got -1');
    await expect(pool.use('bad', () => {})).rejects.toThrow('perKey(bad).max: expected a positive integer, got -1');
    expect(pool.has('bad')).toBe(false);
    const { pool: p2 } = keyed({ perKey: () => ({ idleTimout: 1 }) });
    await expect(p2.acquire('x')).rejects.toThrow(/^perKey\(x\): unknown option "idleTimout"/);
    const { pool: p3 } = keyed({ perKey: () => ({ min: 9 }), maxTotal: 4 });
    await expect(p3.acquire('x')).rejects.toThrow('perKey(x).min: expected at most maxTotal (4), got 9');
    const { pool: p4 } = keyed({ perKey: () => 'big' });
    await expect(p4.acquire('x')).rejects.toThrow('perKey(x): expected an object of pool options, got "big"');
    await Promise.all([pool.close(), p2.close(), p3.close(), p4.close()]);
  });
});

describe('KeyedPool: resize(key), advise(), resetStats()', () => {
  it("resize(key) sets one key's sizes now and for a pool made again after the sweep", async () => {
    const { clock, pool } = keyed({ perKey: { max: 3 }, idlePoolTimeoutMs: 1_000 });
    await pool.use('a', () => {});
    pool.resize('a', { max: 6, min: 1 });
    expect(statsOf(pool, 'a')).toMatchObject({ max: 6, min: 1 });
    pool.resize('b', { max: 5 }); // before its pool exists
    await pool.use('b', () => {});
    expect(statsOf(pool, 'b')).toMatchObject({ max: 5, min: 0 });
    await clock.advance(5_000);
    expect(pool.has('a')).toBe(false);
    await pool.use('a', () => {});
    expect(statsOf(pool, 'a')).toMatchObject({ max: 6, min: 1 });
    expect(() => pool.resize('a', { min: 7 })).toThrow('min: expected at most max (6), got 7');
    expect(() => pool.resize('a', { max: 0 })).toThrow('max: expected a positive integer, got 0');
    await pool.close();
  });

  it('resize(key) keeps min within maxTotal', async () => {
    const { pool } = keyed({ maxTotal: 3 });
    expect(() => pool.resize('a', { min: 4, max: 5 })).toThrow('min: expected at most maxTotal (3), got 4');
    await pool.close();
  });

  it("advise() gives every key pool's advice with its key, and says when maxTotal is the bottleneck", async () => {
    const { clock, pool } = keyed({ perKey: { max: 1, acquireTimeoutMs: 100 }, maxTotal: 1 });
    const held = await pool.acquire('a');
    const timedOut = pool.acquire('a').catch((e: unknown) => e);
    await clock.advance(100);
    await timedOut;
    const b = pool.acquire('b', { timeoutMs: 1_000 }); // waits for room under maxTotal
    await clock.advance(0);
    const advice = pool.advise();
    const forA = advice.find((x) => x.key === 'a');
    expect(forA).toMatchObject({ severity: 'critical', option: 'max' });
    expect(forA!.issue).toMatch(/^pool "k\[a\]": pool too small: 1 acquire timeout/);
    expect(advice.find((x) => x.option === 'maxTotal')).toMatchObject({ severity: 'warning', value: 2 });
    held.release();
    (await b).release();
    await pool.close();
  });

  it('resetStats() zeroes every key pool and the totals of closed ones', async () => {
    const { clock, pool } = keyed({ idlePoolTimeoutMs: 1_000 });
    await pool.use('a', () => {});
    await pool.use('b', () => {});
    await clock.advance(5_000); // both swept: their counters live on in the totals
    await pool.use('c', () => {});
    expect(pool.stats()).toMatchObject({ poolsCreated: 3, total: { acquired: 3 } });
    pool.resetStats();
    expect(pool.stats()).toMatchObject({ poolsCreated: 0, poolsClosed: 0, total: { acquired: 0, created: 0 } });
    expect(statsOf(pool, 'c')).toMatchObject({ acquired: 0, created: 0, idle: 1 });
    await pool.use('c', () => {});
    expect(pool.stats().total.acquired).toBe(1);
    await pool.close();
  });
});

describe('KeyedPool: pooling: false', () => {
  it('gives every lease of every key a fresh resource, destroyed on release', async () => {
    const { factories, pool } = keyed({ pooling: false, perKey: { min: 2, max: 3 } });
    await pool.use('a', () => {});
    await pool.use('a', () => {});
    await pool.use('b', () => {});
    expect(factories.get('a')!.created).toHaveLength(2);
    expect(factories.get('a')!.alive).toBe(0);
    expect(pool.stats().total).toMatchObject({ created: 3, destroyed: 3, idle: 0 });
    expect(pool.stats().total.destroyedBy.unpooled).toBe(3);
    expect(statsOf(pool, 'a')).toMatchObject({ min: 0, max: 3 });
    await pool.close();
  });

  it('wins over perKey.pooling, and perKey.pooling alone switches keys off', async () => {
    const { pool } = keyed({ pooling: false, perKey: { pooling: true } });
    await pool.use('a', () => {});
    expect(statsOf(pool, 'a').destroyedBy.unpooled).toBe(1);
    const { pool: p2 } = keyed({ perKey: (key: string) => ({ pooling: key !== 'suspect' }) });
    await p2.use('suspect', () => {});
    await p2.use('fine', () => {});
    expect(statsOf(p2, 'suspect')).toMatchObject({ idle: 0, destroyedBy: { unpooled: 1 } });
    expect(statsOf(p2, 'fine')).toMatchObject({ idle: 1, destroyedBy: { unpooled: 0 } });
    expect(() => keyed({ pooling: 'no' })).toThrow('pooling: expected a boolean, got "no"');
    await Promise.all([pool.close(), p2.close()]);
  });
});

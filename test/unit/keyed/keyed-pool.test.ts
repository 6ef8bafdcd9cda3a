import { describe, expect, it } from 'vitest';
import { AcquireTimeoutError, KeyedPool, PoolClosedError, PoolOptionsError, type Factory } from '../../../src/index.js';
import { flush, ManualClock } from '../../support/manual-clock.js';
import { TestFactory, type Res } from '../../support/test-factory.js';

/** One TestFactory per key, created on demand; `calls` counts factory(key) calls. */
function perKey(setup: (f: TestFactory, key: string) => void = () => {}) {
  const factories = new Map<string, TestFactory>();
  const calls = new Map<string, number>();
  const factory = (key: string): Factory<Res> => {
    calls.set(key, (calls.get(key) ?? 0) + 1);
    let f = factories.get(key);
    if (f === undefined) {
      f = new TestFactory();
      setup(f, key);
      factories.set(key, f);
    }
    return f;
  };
  const alive = (): number => [...factories.values()].reduce((n, f) => n + f.alive, 0);
  const owner = (r: Res): string | undefined => [...factories].find(([, f]) => f.created.includes(r))?.[0];
  return { factories, calls, factory, alive, owner };
}

describe('KeyedPool: options', () => {
  const f = () => new TestFactory();
  it.each([
    [{ factory: f, maxTotal: 0 }, /^maxTotal: expected a positive integer or Infinity, got 0$/],
    [{ factory: f, idlePoolTimeoutMs: -1 }, /^idlePoolTimeoutMs: expected a non-negative duration/],
    [{ factory: {} }, /^factory: expected a function \(key\) => Factory, got an object$/],
    [{ factory: f, perKey: { max: 0 } }, /^perKey\.max: expected a positive integer, got 0$/],
    [{ factory: f, perKey: { idleTimout: 5 } }, /^perKey: unknown option "idleTimout"/],
    [{ factory: f, perKey: { factory: f() } }, /^perKey\.factory: not allowed per key/],
    [{ factory: f, perKey: { min: 3 }, maxTotal: 2 }, /^perKey\.min: expected at most maxTotal \(2\), got 3$/],
    [{ factory: f, maxTotl: 3 }, /^KeyedPool options: unknown option "maxTotl"/],
    [{ factory: f, name: '' }, /^name: expected a non-empty string/],
  ])('rejects %o', (options, message) => {
    expect(() => new KeyedPool(options as never)).toThrow(PoolOptionsError);
    expect(() => new KeyedPool(options as never)).toThrow(message);
  });

  it('rejects a key factory that is not a Factory, naming the key, and keeps nothing', async () => {
    const keyed = new KeyedPool<string, Res>({ factory: () => ({}) as never, clock: new ManualClock() });
    await expect(keyed.acquire('t1')).rejects.toThrow(
      /^factory\(t1\): expected a Factory \{ create, destroy \}, got an object$/,
    );
    expect(keyed.has('t1')).toBe(false);
  });

  it('rejects bad acquire options before creating the key pool', async () => {
    const keyed = new KeyedPool<string, Res>({ factory: () => new TestFactory(), clock: new ManualClock() });
    await expect(keyed.acquire('a', { timeoutMs: -1 })).rejects.toThrow(/^timeoutMs: expected a positive duration/);
    expect(keyed.size).toBe(0);
  });
});

describe('KeyedPool', () => {
  it('creates a key pool once, even when many callers ask for a new key at once', async () => {
    const k = perKey();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock: new ManualClock(), perKey: { max: 3 } });
    const leases = await Promise.all(Array.from({ length: 3 }, () => keyed.acquire('a')));
    const later = Array.from({ length: 20 }, () => keyed.acquire('a'));
    expect(k.calls.get('a')).toBe(1);
    expect(keyed.size).toBe(1);
    for (const l of leases) l.release();
    for (const p of later) (await p).release();
    expect(k.factories.get('a')!.created).toHaveLength(3);
    await keyed.close();
  });

  it('hands out only resources made for the key asked for', async () => {
    const k = perKey();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock: new ManualClock() });
    for (const key of ['a', 'b', 'a', 'c', 'b']) {
      await keyed.use(key, (r) => expect(k.owner(r)).toBe(key));
    }
    await keyed.close();
    for (const f of k.factories.values()) expect(f.allDestroyedOnce()).toBe(true);
  });

  it('use() releases on success and on throw; isBroken decides destroy', async () => {
    const k = perKey((f) => ((f as Factory<Res>).isBroken = (e) => (e as Error).message === 'broken'));
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock: new ManualClock() });
    expect(await keyed.use('a', (r) => r.id)).toBe(1);
    await expect(
      keyed.use('a', () => {
        throw new Error('kept');
      }),
    ).rejects.toThrow('kept');
    expect(k.factories.get('a')!.aliveResources()).toHaveLength(1);
    await expect(
      keyed.use('a', async () => {
        throw new Error('broken');
      }),
    ).rejects.toThrow('broken');
    expect(k.factories.get('a')!.aliveResources()).toHaveLength(0);
    await expect(keyed.use('a', 'nope' as never)).rejects.toThrow(TypeError);
    await keyed.close();
  });

  it('at maxTotal, evicts an idle resource of the least recently used other key', async () => {
    const k = perKey();
    const keyed = new KeyedPool<string, Res>({
      factory: k.factory,
      clock: new ManualClock(),
      maxTotal: 4,
      perKey: { max: 4 },
    });
    const a = await Promise.all([keyed.acquire('a'), keyed.acquire('a')]);
    const b = await Promise.all([keyed.acquire('b'), keyed.acquire('b')]);
    for (const l of [...a, ...b]) l.release();
    await keyed.use('a', () => {}); // b is now the least recently used
    const c = await keyed.acquire('c');
    expect(k.alive()).toBe(4);
    expect(k.factories.get('b')!.aliveResources()).toHaveLength(1);
    expect(k.factories.get('a')!.aliveResources()).toHaveLength(2);
    // b's last idle resource: its whole pool goes, and the key is forgotten.
    const c2 = await keyed.acquire('c');
    expect(keyed.has('b')).toBe(false);
    expect(k.alive()).toBe(4);
    expect(keyed.stats()).toMatchObject({ live: 4, evictions: 2, budgetWaiting: 0 });
    c.release();
    c2.release();
    await keyed.close();
    for (const f of k.factories.values()) expect(f.allDestroyedOnce()).toBe(true);
  });

  it('keeps a key at min: eviction takes idle resources above min only', async () => {
    const k = perKey();
    const clock = new ManualClock();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock, maxTotal: 3, perKey: { min: 2, max: 3 } });
    const a = await keyed.acquire('a');
    await flush();
    expect(k.factories.get('a')!.aliveResources()).toHaveLength(2);
    const b = keyed.acquire('b', { timeoutMs: 100 });
    await flush();
    // a has one idle resource, but only at min: b gets the one free slot and waits for nothing more.
    (await b).release();
    expect(k.factories.get('a')!.alive).toBe(2);
    expect(k.factories.get('b')!.alive).toBe(1);
    a.release();
    await flush();
    // b's refill towards its min waits for room, and evicts nobody for it.
    expect(k.factories.get('a')!.alive).toBe(2);
    expect(k.alive()).toBe(3);
    await keyed.close();
  });

  it('a wait for room honours the acquire timeout and says why', async () => {
    const k = perKey();
    const clock = new ManualClock();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock, maxTotal: 1 });
    const a = await keyed.acquire('a');
    const p = keyed.acquire('b', { timeoutMs: 50 });
    const failed = expect(p).rejects.toThrow(
      /^acquire timed out after 50 ms \(pool "keyed-\d+\[b\]".*; waiting for room under maxTotal 1: 1 live across 1 key\(s\), 1 create\(s\) waiting$/,
    );
    await clock.advance(50);
    await failed;
    await expect(p).rejects.toBeInstanceOf(AcquireTimeoutError);
    // Nobody waits for b any more: a's resource, once idle, is not evicted for it.
    a.release();
    await flush();
    expect(k.factories.get('a')!.aliveResources()).toHaveLength(1);
    expect(k.factories.get('b')!.created).toHaveLength(0);
    expect(keyed.stats().budgetWaiting).toBe(1); // still queued, but claims no room
    await keyed.close();
  });

  it('a wait for room honours the acquire abort signal', async () => {
    const k = perKey();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock: new ManualClock(), maxTotal: 1 });
    const a = await keyed.acquire('a');
    const ac = new AbortController();
    const p = keyed.acquire('b', { signal: ac.signal });
    await flush();
    ac.abort(new Error('client went away'));
    await expect(p).rejects.toThrow('client went away');
    a.release();
    await keyed.close();
    expect(k.factories.get('a')!.allDestroyedOnce()).toBe(true);
  });

  it('a create waiting for room is not timed out by createTimeoutMs; the create itself is', async () => {
    const k = perKey((f, key) => key === 'c' && f.next('create', 'never'));
    const clock = new ManualClock();
    const keyed = new KeyedPool<string, Res>({
      factory: k.factory,
      clock,
      maxTotal: 1,
      perKey: { createTimeoutMs: 100, acquireTimeoutMs: 1_000 },
    });
    const a = await keyed.acquire('a');
    const b = keyed.acquire('b');
    await clock.advance(300);
    a.release();
    const lb = await b;
    expect(k.owner(lb.resource)).toBe('b');
    expect(keyed.stats().total.createErrors).toBe(0);
    lb.release();
    const c = keyed.acquire('c', { timeoutMs: 150 });
    const failed = expect(c).rejects.toThrow(/last create error: create timed out after 100 ms/);
    await clock.advance(150);
    await failed;
    await keyed.close();
  });

  it('closes key pools unused for idlePoolTimeoutMs and forgets them; busy ones stay', async () => {
    const k = perKey();
    const clock = new ManualClock();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock, idlePoolTimeoutMs: 1_000 });
    await keyed.use('a', () => {});
    const held = await keyed.acquire('b');
    await clock.advance(999);
    expect(keyed.size).toBe(2);
    await clock.advance(1);
    expect(keyed.has('a')).toBe(false);
    expect(keyed.has('b')).toBe(true);
    expect(k.factories.get('a')!.allDestroyedOnce()).toBe(true);
    held.release();
    await clock.advance(1_000);
    expect(keyed.size).toBe(0);
    expect(clock.pending).toBe(0);
    // A forgotten key comes back as a new pool.
    await keyed.use('a', () => {});
    expect(k.calls.get('a')).toBe(2);
    expect(keyed.stats()).toMatchObject({ keys: 1, poolsCreated: 3, poolsClosed: 2 });
    await keyed.close();
  });

  it('idlePoolTimeoutMs counts from when a key stopped being used: its last lease back, or its last acquire failed', async () => {
    const k = perKey();
    const clock = new ManualClock();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock, idlePoolTimeoutMs: 1_000, maxTotal: 1 });
    const l1 = await keyed.acquire('a');
    await clock.advance(500);
    const l2 = keyed.acquire('a');
    await clock.advance(100);
    l1.release(); // to the waiting acquire: 'a' stays in use
    (await l2).release();
    await clock.advance(300);
    expect(keyed.has('a')).toBe(true); // stopped being used at 600
    const held = await keyed.acquire('b'); // 'a' gives up its last (idle) resource, and its pool, to make room
    expect(keyed.has('a')).toBe(false);
    const late = expect(keyed.acquire('a', { timeoutMs: 300 })).rejects.toBeInstanceOf(AcquireTimeoutError); // a new pool for 'a', waiting for room
    await clock.advance(300);
    await late; // 'a' stopped being used at 1200
    await clock.advance(999);
    expect(keyed.has('a')).toBe(true);
    await clock.advance(1);
    expect(keyed.has('a')).toBe(false);
    expect(keyed.has('b')).toBe(true); // held
    held.release();
    await keyed.close();
    for (const f of k.factories.values()) expect(f.allDestroyedOnce()).toBe(true);
  });

  it('a busy key reads the clock no more than a plain pool: once per waiting acquire, once per release', async () => {
    class CountingClock extends ManualClock {
      reads = 0;
      override now(): number {
        this.reads++;
        return super.now();
      }
    }
    const k = perKey();
    const clock = new CountingClock();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock, perKey: { max: 1 } });
    let lease = await keyed.acquire('a');
    for (let i = 0; i < 3; i++) {
      clock.reads = 0;
      const next = keyed.acquire('a');
      expect(clock.reads).toBe(1); // the pool's enqueue
      clock.reads = 0;
      lease.release();
      expect(clock.reads).toBe(1); // the pool's release (the hand-over shares it)
      lease = await next;
    }
    lease.release(); // 'a' stops being used: now its idle time starts
    await keyed.close();
  });

  it('at maxTotal, the least recently used key loses its idle resource also when one key was used many times in a row', async () => {
    const k = perKey();
    const keyed = new KeyedPool<string, Res>({
      factory: k.factory,
      clock: new ManualClock(),
      maxTotal: 2,
      perKey: { max: 2 },
    });
    await keyed.use('a', () => {});
    await keyed.use('b', () => {});
    for (let i = 0; i < 3; i++) await keyed.use('a', () => {}); // 'a' again and again: 'b' is the least recently used
    const c = await keyed.acquire('c');
    expect(keyed.has('b')).toBe(false);
    expect(k.factories.get('a')!.aliveResources()).toHaveLength(1);
    await keyed.use('a', () => {});
    c.release();
    await keyed.use('c', () => {});
    await keyed.use('a', () => {}); // now 'c' is the least recently used
    const b = await keyed.acquire('b');
    expect(keyed.has('c')).toBe(false);
    expect(keyed.has('a')).toBe(true);
    b.release();
    await keyed.close();
  });

  it('reports stats per key and totals that include closed key pools', async () => {
    const k = perKey();
    const clock = new ManualClock();
    const keyed = new KeyedPool<string, Res>({
      factory: k.factory,
      clock,
      idlePoolTimeoutMs: 1_000,
      maxTotal: 10,
      name: 'tenants',
    });
    await keyed.use('a', () => {});
    await clock.advance(1_000);
    const b = await keyed.acquire('b');
    const s = keyed.stats();
    expect(s).toMatchObject({ name: 'tenants', keys: 1, maxTotal: 10, live: 1, budgetWaiting: 0 });
    expect(s.perKey).toEqual([expect.objectContaining({ key: 'b', name: 'tenants[b]', borrowed: 1, size: 1 })]);
    expect(s.total).toMatchObject({ size: 1, borrowed: 1, created: 2, destroyed: 1, acquired: 2, released: 1 });
    expect(keyed.health()).toEqual({ status: 'ok', reasons: [] });
    b.release();
    await keyed.close();
    expect(keyed.health().status).toBe('down');
  });

  it("forwards key pools' errors with the key", async () => {
    const k = perKey((f) => f.next('create', 'reject'));
    const clock = new ManualClock();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock });
    const errors: [string, string][] = [];
    keyed.on('error', (e, key) => errors.push([e.code, key]));
    const p = keyed.acquire('x', { timeoutMs: 1_000 });
    await clock.advance(200);
    (await p).release();
    expect(errors).toEqual([['ERR_POOL_CREATE', 'x']]);
    await keyed.close();
  });

  it('close() closes every key pool, rejects waiters and later acquires, destroys everything once', async () => {
    const k = perKey();
    const clock = new ManualClock();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock, maxTotal: 1 });
    const a = await keyed.acquire('a');
    const waiting = keyed.acquire('b');
    await flush();
    const closing = keyed.close({ timeoutMs: 100 });
    await expect(waiting).rejects.toBeInstanceOf(PoolClosedError);
    await expect(keyed.acquire('a')).rejects.toBeInstanceOf(PoolClosedError);
    a.release();
    expect(await closing).toEqual({ forced: 0, unsettledDestroys: 0 });
    expect(keyed.close()).toBe(closing);
    for (const f of k.factories.values()) expect(f.allDestroyedOnce()).toBe(true);
    expect(keyed.stats().live).toBe(0);
  });

  it('is AsyncDisposable', async () => {
    const k = perKey();
    {
      await using keyed = new KeyedPool<string, Res>({ factory: k.factory, clock: new ManualClock() });
      await keyed.use('a', () => {});
    }
    expect(k.factories.get('a')!.allDestroyedOnce()).toBe(true);
  });
});

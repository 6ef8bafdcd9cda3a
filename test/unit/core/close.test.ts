import { afterEach, describe, expect, it, vi } from 'vitest';
import { Pool, PoolClosedError } from '../../../src/index.js';
import { ManualClock, TestFactory, flush, setup, watch, type Res } from '../helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('close()', () => {
  it('rejects new acquires with PoolClosedError', async () => {
    const { pool } = setup();
    await pool.close();
    expect(pool.closed).toBe(true);
    const e = await pool.acquire().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PoolClosedError);
    expect(e).toMatchObject({ code: 'ERR_POOL_CLOSED', message: 'pool "x" is closed' });
    await expect(pool.use(() => 1)).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('rejects waiters at once', async () => {
    const { pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const ws = [watch(pool.acquire()), watch(pool.acquire({ timeoutMs: Infinity }))];
    const closing = pool.close();
    await flush();
    expect(ws.map((w) => w.state)).toEqual(['rejected', 'rejected']);
    expect(ws[0].error).toBeInstanceOf(PoolClosedError);
    expect(pool.stats().pending).toBe(0);
    a.release();
    await closing;
  });

  it('destroys idle resources at once and awaits borrowed ones', async () => {
    const { clock, f, pool } = setup({ min: 2, max: 4 });
    await pool.ready();
    const a = await pool.acquire();
    const b = await pool.acquire();
    const c = await pool.acquire();
    c.release();
    const closing = watch(pool.close());
    await flush();
    expect(f.calls.destroy).toBe(1);
    expect(closing.state).toBe('pending');
    await clock.advance(5_000);
    a.release(); // returned during close: destroyed, not pooled
    expect(f.calls.destroy).toBe(2);
    b.destroy();
    await flush();
    expect(closing.state).toBe('fulfilled');
    expect(closing.value).toEqual({ forced: 0, unsettledDestroys: 0 });
    expect(f.allDestroyedOnce()).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('destroys leases still held after timeoutMs and reports them', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, f, pool } = setup({ max: 3 });
    const reasons: unknown[] = [];
    pool.on('destroy', (_r, why) => reasons.push(why));
    const a = await pool.acquire();
    const b = await pool.acquire();
    const closing = watch(pool.close({ timeoutMs: 1_000 }));
    await clock.advance(999);
    expect(closing.state).toBe('pending');
    await clock.advance(1);
    expect(closing.state).toBe('fulfilled');
    expect(closing.value).toEqual({ forced: 2, unsettledDestroys: 0 });
    expect(f.allDestroyedOnce()).toBe(true);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toBeInstanceOf(PoolClosedError);
    expect((reasons[0] as Error).message).toBe('lease still held 1000 ms after close(); resource destroyed');
    expect(warn).toHaveBeenCalledWith(
      'lido: pool "x" closed with 2 lease(s) still held after 1000 ms; their resources were destroyed',
      { code: 'LIDO_CLOSE_FORCED' },
    );
    // The late releases are no-ops: nothing destroyed twice.
    a.release();
    b.destroy();
    expect(f.allDestroyedOnce()).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('destroys the leases still held oldest lease first, whatever order their resources were created in', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ max: 3 });
    const [a, b, c] = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
    const first = c.resource;
    await clock.advance(10);
    a.release();
    b.release();
    const second = (await pool.acquire()).resource; // the idle list is LIFO: b's resource
    await clock.advance(10);
    const third = (await pool.acquire()).resource; // a's
    const destroyed: unknown[] = [];
    pool.on('destroy', (r) => destroyed.push(r));
    const closing = watch(pool.close({ timeoutMs: 100 }));
    await clock.advance(100);
    expect(closing.value).toEqual({ forced: 3, unsettledDestroys: 0 });
    expect(destroyed).toEqual([first, second, third]);
    expect(new Set(destroyed).size).toBe(3);
  });

  it('oldest lease first also when a resource went straight from one lease to a waiter (it keeps its place in the borrowed list)', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ max: 2 });
    const a = await pool.acquire(); // t=0
    await clock.advance(10);
    const b = await pool.acquire(); // t=10
    const w = watch(pool.acquire());
    await clock.advance(10);
    const handed = a.resource;
    const bResource = b.resource;
    a.release(); // t=20: a's resource goes to the waiter, now the newest lease
    await flush();
    expect(w.value!.resource).toBe(handed);
    expect(pool.stats()).toMatchObject({ borrowed: 2, idle: 0, pending: 0, peakBorrowed: 2, acquired: 3, released: 1 });
    const destroyed: unknown[] = [];
    pool.on('destroy', (r) => destroyed.push(r));
    const closing = watch(pool.close({ timeoutMs: 100 }));
    await clock.advance(100);
    expect(closing.value).toEqual({ forced: 2, unsettledDestroys: 0 });
    expect(destroyed).toEqual([bResource, handed]);
  });

  it('counts a resource handed from lease to lease as borrowed once, also inside a release listener, and unlinks it on every other way back', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ max: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const w = watch(pool.acquire());
    const seen: number[] = [];
    pool.on('release', () => seen.push(pool.stats().borrowed));
    a.release(); // straight to the waiter
    await flush();
    expect(seen).toEqual([1]);
    expect(pool.stats()).toMatchObject({ borrowed: 2, pending: 0 });
    w.value!.destroy(new Error('broken')); // out of the list for good
    b.release(); // to the idle list
    await flush();
    expect(seen).toEqual([1, 1, 0]);
    expect(pool.stats()).toMatchObject({ borrowed: 0, idle: 1 });
    const c = await pool.acquire(); // held through close: the only lease left to force
    const cResource = c.resource;
    const destroyed: unknown[] = [];
    pool.on('destroy', (r) => destroyed.push(r));
    const closing = watch(pool.close({ timeoutMs: 100 }));
    await clock.advance(100);
    expect(closing.value).toEqual({ forced: 1, unsettledDestroys: 0 });
    expect(destroyed).toEqual([cResource]);
    expect(c.released).toBe(true);
  });

  it('destroys every resource exactly once, including ones being created, reset or validated', async () => {
    const { clock, f, pool } = setup(
      { max: 6, min: 1 },
      { reset: true, validate: true, delayMs: { reset: 100, validate: 100, create: 100 } },
    );
    await clock.advance(100); // min filled
    const a = await pool.acquire(); // from idle, fresh: no validation
    const creating = watch(pool.acquire()); // creating
    const b = watch(pool.acquire()); // creating
    await clock.advance(100);
    b.value!.release(); // now resetting
    creating.value!.release(); // resetting
    const c = watch(pool.acquire()); // gets a create started
    await clock.advance(50);
    const closing = watch(pool.close());
    a.release();
    await clock.advance(200);
    expect(closing.state).toBe('fulfilled');
    expect(c.state).toBe('rejected');
    expect(f.created.length).toBeGreaterThan(2);
    expect(f.allDestroyedOnce()).toBe(true);
    expect(f.alive).toBe(0);
    const s = pool.stats();
    expect(s.created).toBe(s.destroyed);
    expect(clock.pending).toBe(0);
  });

  it('is idempotent and waits for async destroys', async () => {
    const { f, pool } = setup({ min: 1 });
    await pool.ready();
    let finish!: () => void;
    f.next('destroy', () => new Promise<void>((r) => (finish = r)));
    const first = watch(pool.close());
    const second = pool.close();
    expect(second).toBe(first.promise);
    await flush();
    expect(first.state).toBe('pending');
    finish();
    await flush();
    expect(first.state).toBe('fulfilled');
  });

  it('`await using pool` closes at the end of the block', async () => {
    const clock = new ManualClock();
    const f = new TestFactory();
    let outer: Pool<Res> | null = null;
    {
      await using pool = new Pool({ factory: f, clock, min: 2 });
      await pool.ready();
      outer = pool;
    }
    expect(outer!.closed).toBe(true);
    expect(f.allDestroyedOnce()).toBe(true);
    expect(f.calls.destroy).toBe(2);
  });

  it('a create that resolves after close is destroyed', async () => {
    const { f, pool } = setup({ min: 1 });
    f.next('create', 'never');
    await flush();
    await pool.close();
    const r = f.make();
    f.held[0].resolve(r);
    await flush();
    expect(f.destroyCount.get(r.id)).toBe(1);
  });

  it('health is down once closed', async () => {
    const { pool } = setup();
    await pool.close();
    expect(pool.health()).toMatchObject({ status: 'down', reasons: ['pool is closed'] });
  });
});

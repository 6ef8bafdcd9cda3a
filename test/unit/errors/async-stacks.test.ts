/**
 * Errors name where they were awaited: for every entry point of the core, `KeyedPool` and
 * `PoolCluster`, an `outerFunction` → `innerFunction` → pool call chain (as node-postgres'
 * async-stack-trace test does) and the error's stack names both functions, however the
 * error came about: a timeout (raised from a timer), a create failure with `failFast`, a
 * close from elsewhere, a validation that leads to one, an error of the `use` callback
 * raised from an I/O callback (a driver's). Failures are always triggered from the test's
 * own body, never from inside `innerFunction`, so no stack names it by accident.
 */
import { describe, expect, it } from 'vitest';
import {
  AcquireTimeoutError,
  CreateError,
  KeyedPool,
  Pool,
  PoolClosedError,
  PoolCluster,
  QueueFullError,
} from '../../../src/index.js';
import { FRAMES_PER_SECOND } from '../../../src/core/util/caller-frames.js';
import { flush, ManualClock } from '../../support/manual-clock.js';
import { TestFactory, type Res } from '../../support/test-factory.js';
import { CALLER, chain } from '../../support/caller-chain.js';

function pool(options: Partial<ConstructorParameters<typeof Pool<Res>>[0]> = {}, factory = new TestFactory()) {
  const clock = new ManualClock();
  const p = new Pool<Res>({ name: 'stacks', factory, clock, max: 1, acquireTimeoutMs: 100, ...options });
  return { clock, factory, pool: p };
}

describe('Pool: errors carry the caller’s async frames', () => {
  it('acquire: timeout', async () => {
    const { clock, pool: p } = pool();
    const held = await p.acquire();
    const e = chain(() => p.acquire());
    await clock.advance(100);
    const error = await e;
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect((error as Error).stack).toMatch(CALLER);
    held.release();
    await p.close();
  });

  it('use: timeout', async () => {
    const { clock, pool: p } = pool();
    const held = await p.acquire();
    const e = chain(() => p.use(() => 1));
    await clock.advance(100);
    const error = await e;
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect((error as Error).stack).toMatch(CALLER);
    held.release();
    await p.close();
  });

  it('acquire: a timeout keeps its message, code, counts and cause', async () => {
    const { clock, factory, pool: p } = pool({ max: 1 });
    factory.defaults.create = 'reject';
    const e = chain(() => p.acquire());
    await clock.advance(100);
    const error = (await e) as AcquireTimeoutError;
    expect(error.stack!.split('\n')[0]).toBe(`AcquireTimeoutError: ${error.message}`);
    expect(error.message).toMatch(/^acquire timed out after 100 ms \(pool "stacks": 0\/1 borrowed/);
    expect(error.code).toBe('ERR_POOL_ACQUIRE_TIMEOUT');
    expect((error.cause as Error).message).toBe('connect ECONNREFUSED');
    expect(error.stack).toMatch(CALLER);
    await p.close();
  });

  it('acquire: create failure with failFast, while waiting', async () => {
    const { factory, pool: p } = pool({ failFast: true });
    factory.next('create', 'reject');
    const error = await chain(() => p.acquire());
    expect(error).toBeInstanceOf(CreateError);
    expect((error as Error).stack).toMatch(CALLER);
    await p.close();
  });

  it('acquire: create failure with failFast, inside the backoff window (rejected at once)', async () => {
    const { factory, pool: p } = pool({ failFast: true });
    factory.defaults.create = 'reject';
    await p.acquire().catch(() => {});
    const error = await chain(() => p.acquire());
    expect(error).toBeInstanceOf(CreateError);
    expect((error as Error).stack).toMatch(CALLER);
    await p.close();
  });

  it('use: create failure with failFast', async () => {
    const { factory, pool: p } = pool({ failFast: true });
    factory.next('create', 'reject');
    const error = await chain(() => p.use(() => 1));
    expect(error).toBeInstanceOf(CreateError);
    expect((error as Error).stack).toMatch(CALLER);
    await p.close();
  });

  it('acquire: closed while waiting', async () => {
    const { pool: p } = pool();
    const held = await p.acquire();
    const e = chain(() => p.acquire());
    await flush();
    void p.close({ timeoutMs: 0 });
    const error = await e;
    expect(error).toBeInstanceOf(PoolClosedError);
    expect((error as Error).stack).toMatch(CALLER);
    held.release();
  });

  it('acquire: two waiters of one close each get their own frames', async () => {
    const { pool: p } = pool();
    const held = await p.acquire();
    async function firstCaller() {
      await p.acquire();
    }
    async function secondCaller() {
      await p.acquire();
    }
    const a = firstCaller().catch((e: Error) => e);
    const b = secondCaller().catch((e: Error) => e);
    await flush();
    void p.close({ timeoutMs: 0 });
    const [ea, eb] = await Promise.all([a, b]);
    expect(ea).not.toBe(eb);
    expect((ea as Error).stack).toMatch(/firstCaller/);
    expect((ea as Error).stack).not.toMatch(/secondCaller/);
    expect((eb as Error).stack).toMatch(/secondCaller/);
    held.release();
  });

  it('acquire and use: after close (rejected at once)', async () => {
    const { pool: p } = pool();
    await p.close();
    expect(((await chain(() => p.acquire())) as Error).stack).toMatch(CALLER);
    expect(((await chain(() => p.use(() => 1))) as Error).stack).toMatch(CALLER);
  });

  it('acquire: queue full (rejected at once)', async () => {
    const { pool: p } = pool({ min: 1, maxWaiting: 0 });
    await p.ready();
    const held = await p.acquire();
    const error = await chain(() => p.acquire());
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as Error).stack).toMatch(CALLER);
    held.release();
    await p.close();
  });

  it('acquire: validation fails and the create that replaces the resource fails (failFast)', async () => {
    const factory = new TestFactory({ validate: true });
    const { clock, pool: p } = pool({ failFast: true, validateAfterIdleMs: 0, min: 1 }, factory);
    await p.ready();
    factory.next('validate', () => false);
    factory.next('create', 'reject');
    const e = chain(() => p.acquire());
    await clock.advance(0);
    const error = await e;
    expect(error).toBeInstanceOf(CreateError);
    expect((error as Error).stack).toMatch(CALLER);
    await p.close();
  });

  it('acquire: validation keeps failing until the wait times out', async () => {
    const factory = new TestFactory({ validate: true });
    const { clock, pool: p } = pool({ validateAfterIdleMs: 0, min: 1 }, factory);
    await p.ready();
    factory.defaults.validate = () => false;
    factory.defaults.create = 'never';
    const e = chain(() => p.acquire());
    await clock.advance(100);
    const error = await e;
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect((error as Error).stack).toMatch(CALLER);
    void p.close({ timeoutMs: 0 });
    await clock.advance(1);
  });

  it('use: the callback fails from an I/O callback (a driver’s error): its frames kept, the caller’s added', async () => {
    const { pool: p } = pool();
    const error = await chain(() =>
      p.use(
        () =>
          new Promise((_, reject) =>
            setImmediate(function onSocketData() {
              reject(new Error('ERR unknown command'));
            }),
          ),
      ),
    );
    const stack = (error as Error).stack!;
    expect(stack.split('\n')[0]).toBe('Error: ERR unknown command');
    expect(stack).toMatch(/onSocketData/);
    expect(stack).toMatch(CALLER);
    await p.close();
  });

  it('use: the same, when the callback had to wait for the resource', async () => {
    const { pool: p } = pool();
    const held = await p.acquire();
    const e = chain(() =>
      p.use(() => new Promise((_, reject) => setImmediate(() => reject(new Error('ERR unknown command'))))),
    );
    await flush();
    held.release();
    expect(((await e) as Error).stack).toMatch(CALLER);
    await p.close();
  });

  it('use: an error the callback throws after an await keeps its stack as it is', async () => {
    const { pool: p } = pool();
    const error = (await chain(() =>
      p.use(async () => {
        await null;
        throw new Error('thrown by the caller');
      }),
    )) as Error;
    expect(error.stack).toMatch(CALLER);
    expect(error.stack!.match(/innerFunction/g)).toHaveLength(1);
    await p.close();
  });

  it('acquire: an abort rejects with signal.reason as it is', async () => {
    const { pool: p } = pool();
    const held = await p.acquire();
    const ac = new AbortController();
    const reason = new Error('user aborted');
    const stack = reason.stack;
    const e = chain(() => p.acquire({ signal: ac.signal }));
    await flush();
    ac.abort(reason);
    expect(await e).toBe(reason);
    expect(reason.stack).toBe(stack);
    held.release();
    await p.close();
  });

  it(`a storm: the first ${FRAMES_PER_SECOND} timeouts of a second carry frames, the rest are rejected as they are`, async () => {
    const { clock, pool: p } = pool({ max: 1 });
    const held = await p.acquire();
    const n = FRAMES_PER_SECOND + 200;
    const all = Array.from({ length: n }, () => chain(() => p.acquire()));
    await clock.advance(100);
    const errors = (await Promise.all(all)) as Error[];
    expect(errors.every((x) => x instanceof AcquireTimeoutError)).toBe(true);
    expect(errors.filter((x) => CALLER.test(x.stack!))).toHaveLength(FRAMES_PER_SECOND);
    expect(errors.filter((x) => x.stack === `AcquireTimeoutError: ${x.message}`)).toHaveLength(200);
    held.release();
    await p.close();
  });
});

describe('KeyedPool and PoolCluster: errors carry the caller’s async frames', () => {
  function keyed(options: Partial<ConstructorParameters<typeof KeyedPool<string, Res>>[0]> = {}) {
    const clock = new ManualClock();
    const k = new KeyedPool<string, Res>({
      name: 'tenants',
      clock,
      factory: () => new TestFactory(),
      perKey: { max: 1, acquireTimeoutMs: 100 },
      ...options,
    });
    return { clock, keyed: k };
  }

  it('KeyedPool.acquire: timeout', async () => {
    const { clock, keyed: k } = keyed();
    const held = await k.acquire('a');
    const e = chain(() => k.acquire('a'));
    await clock.advance(100);
    const error = await e;
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect((error as Error).stack).toMatch(CALLER);
    held.release();
    await k.close();
  });

  it('KeyedPool.use: timeout', async () => {
    const { clock, keyed: k } = keyed();
    const held = await k.acquire('a');
    const e = chain(() => k.use('a', () => 1));
    await clock.advance(100);
    expect(((await e) as Error).stack).toMatch(CALLER);
    held.release();
    await k.close();
  });

  it('KeyedPool.acquire: timeout while waiting for room under maxTotal', async () => {
    const { clock, keyed: k } = keyed({ maxTotal: 1 });
    const held = await k.acquire('a');
    const e = chain(() => k.acquire('b'));
    await clock.advance(100);
    const error = (await e) as Error;
    expect(error.message).toMatch(/maxTotal/);
    expect(error.stack).toMatch(CALLER);
    held.release();
    await k.close();
  });

  it('KeyedPool.acquire: closed while waiting', async () => {
    const { keyed: k } = keyed();
    const held = await k.acquire('a');
    const e = chain(() => k.acquire('a'));
    await flush();
    void k.close({ timeoutMs: 0 });
    const error = await e;
    expect(error).toBeInstanceOf(PoolClosedError);
    expect((error as Error).stack).toMatch(CALLER);
    held.release();
  });

  function cluster() {
    const clock = new ManualClock();
    const c = new PoolCluster<Res>({
      name: 'db',
      clock,
      primary: { factory: new TestFactory(), max: 1, acquireTimeoutMs: 100 },
      replicas: [{ factory: new TestFactory(), max: 1, acquireTimeoutMs: 100 }],
    });
    return { clock, cluster: c };
  }

  it('PoolCluster.acquire: timeout on the primary', async () => {
    const { clock, cluster: c } = cluster();
    const held = await c.acquire();
    const e = chain(() => c.acquire());
    await clock.advance(100);
    const error = await e;
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect((error as Error).stack).toMatch(CALLER);
    held.release();
    await c.close();
  });

  it('PoolCluster.acquire: timeout on a replica (readOnly)', async () => {
    const { clock, cluster: c } = cluster();
    const held = await c.acquire({ readOnly: true });
    const e = chain(() => c.acquire({ readOnly: true }));
    await clock.advance(100);
    const error = await e;
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect((error as Error).stack).toMatch(CALLER);
    held.release();
    await c.close();
  });

  it('PoolCluster.use: closed while waiting', async () => {
    const { cluster: c } = cluster();
    const held = await c.acquire();
    const e = chain(() => c.use(() => 1));
    await flush();
    void c.close({ timeoutMs: 0 });
    expect(((await e) as Error).stack).toMatch(CALLER);
    held.release();
  });
});

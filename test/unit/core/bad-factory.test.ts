import { describe, expect, it } from 'vitest';
import { AcquireTimeoutError, CreateError, Pool } from '../../../src/index.js';
import { ManualClock, flush, setup, watch } from '../helpers.js';

describe('a misbehaving factory', () => {
  it('create() resolving to undefined is a CreateError that says so', async () => {
    const { f, pool } = setup({ min: 1 });
    f.defaults.create = () => Promise.resolve(undefined);
    const e = (await pool.ready().catch((x: unknown) => x)) as CreateError;
    expect(e).toBeInstanceOf(CreateError);
    expect(e.message).toBe('create failed: factory.create() resolved to undefined; expected a resource');
    expect(e.cause).toBeInstanceOf(TypeError);
    await pool.close();
  });

  it('create() resolving to null likewise', async () => {
    const clock = new ManualClock();
    const pool = new Pool({ clock, min: 1, factory: { create: async () => null as never, destroy() {} } });
    await expect(pool.ready()).rejects.toThrow('factory.create() resolved to null; expected a resource');
    await pool.close();
  });

  it('create() throwing synchronously rejects like a rejected promise', async () => {
    const { clock, f, pool } = setup({ acquireTimeoutMs: 500 });
    f.defaults.create = 'throw';
    const p = watch(pool.acquire());
    await clock.advance(500);
    expect(p.error).toBeInstanceOf(AcquireTimeoutError);
    expect((p.error as Error).message).toMatch(/last create error: create threw$/);
    expect(((p.error as Error).cause as Error).message).toBe('create threw');
    await pool.close();
  });

  it('a non-async create returning the resource directly works', async () => {
    const clock = new ManualClock();
    let n = 0;
    const pool = new Pool({ clock, factory: { create: (() => ({ n: ++n })) as never, destroy() {} } });
    const l = await pool.acquire();
    expect(l.resource).toEqual({ n: 1 });
    l.release();
    await pool.close();
  });

  it('create() that never settles: the acquire and the create both time out with clear messages', async () => {
    const { clock, f, pool } = setup({ acquireTimeoutMs: 1_000 });
    const errors: Error[] = [];
    pool.on('error', (e) => errors.push(e));
    f.defaults.create = 'never';
    const p = watch(pool.acquire());
    await clock.advance(1_000);
    expect((p.error as Error).message).toBe(
      'acquire timed out after 1000 ms (pool "x": 0/10 borrowed, 0 idle, 1 creating, 1 waiting); a create has been pending for 1000 ms',
    );
    expect(errors.map((e) => e.message)).toEqual(['create timed out after 1000 ms (factory.create() did not settle)']);
    expect(pool.stats().creating).toBe(0);
    await pool.close();
  });

  it('destroy() throwing or rejecting is reported, never thrown', async () => {
    const { f, pool } = setup({ max: 2 });
    const errors: Error[] = [];
    pool.on('error', (e) => errors.push(e));
    f.next('destroy', 'throw', 'reject');
    (await pool.acquire()).destroy();
    (await pool.acquire()).destroy();
    await flush();
    expect(errors.map((e) => [(e as { code?: string }).code, e.message])).toEqual([
      ['ERR_POOL_DESTROY', 'destroy failed: destroy threw'],
      ['ERR_POOL_DESTROY', 'destroy failed: destroy rejected'],
    ]);
    await pool.close();
  });

  it('a listener that throws does not corrupt the pool', async () => {
    const { f, pool } = setup({ max: 1 });
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): void => void uncaught.push(e);
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      pool.on('release', () => {
        throw new Error('listener bug');
      });
      const a = await pool.acquire();
      a.release();
      await new Promise((r) => setImmediate(r));
      expect(uncaught).toHaveLength(1);
      expect(pool.stats()).toMatchObject({ idle: 1, borrowed: 0 });
      const b = await pool.acquire();
      expect(b.resource.id).toBe(1);
      pool.removeAllListeners('release');
      b.release();
      expect(f.calls.create).toBe(1);
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of listeners) process.on('uncaughtException', l);
    }
    await pool.close();
  });
});

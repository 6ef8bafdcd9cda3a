import { describe, expect, it } from 'vitest';
import { CreateError } from '../../../src/index.js';
import { flush, setup, watch } from '../helpers.js';

describe('min and ready()', () => {
  it('fills min at start and ready() resolves once it is filled', async () => {
    const { clock, f, pool } = setup({ min: 3 }, { delayMs: { create: 20 } });
    const ready = watch(pool.ready());
    await flush();
    expect(ready.state).toBe('pending');
    expect(pool.stats().creating).toBe(2); // maxConcurrentCreates
    await clock.advance(20);
    expect(ready.state).toBe('pending');
    await clock.advance(20);
    expect(ready.state).toBe('fulfilled');
    expect(pool.stats()).toMatchObject({ size: 3, idle: 3, creating: 0 });
    expect(f.calls.create).toBe(3);
    await expect(pool.ready()).resolves.toBeUndefined();
    await pool.close();
  });

  it('starts filling without anyone calling ready()', async () => {
    const { f, pool } = setup({ min: 2 });
    await flush();
    expect(f.alive).toBe(2);
    expect(pool.stats().idle).toBe(2);
    await pool.close();
  });

  it('ready() resolves at once with min 0', async () => {
    const { f, pool } = setup();
    await pool.ready();
    expect(f.calls.create).toBe(0);
    await pool.close();
  });

  it('keeps min after resources are destroyed', async () => {
    const { f, pool } = setup({ min: 2 });
    await pool.ready();
    const a = await pool.acquire();
    a.destroy(new Error('broken'));
    await flush();
    expect(pool.stats()).toMatchObject({ size: 2, idle: 2 });
    const b = await pool.acquire();
    const c = await pool.acquire();
    b.destroy();
    c.destroy();
    await flush();
    expect(pool.stats()).toMatchObject({ size: 2, idle: 2 });
    expect(f.calls.create).toBe(5);
    await pool.close();
  });

  it('ready() rejects with a CreateError when the backend is unreachable', async () => {
    const { f, pool } = setup({ min: 2 });
    f.defaults.create = 'reject';
    const err = await pool.ready().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CreateError);
    expect((err as CreateError).code).toBe('ERR_POOL_CREATE');
    expect((err as CreateError).phase).toBe('create');
    expect((err as CreateError).pool).toBe('x');
    expect((err as CreateError).message).toBe('create failed: connect ECONNREFUSED');
    expect(((err as CreateError).cause as Error).message).toBe('connect ECONNREFUSED');
    // Still failing: a later ready() rejects at once too.
    await expect(pool.ready()).rejects.toBeInstanceOf(CreateError);
    await pool.close();
  });

  it('ready() rejects on a synchronous throw and keeps retrying min in the background', async () => {
    const { clock, f, pool } = setup({ min: 1 });
    f.next('create', 'throw');
    await expect(pool.ready()).rejects.toThrow('create failed: create threw');
    await clock.advance(200); // past the first backoff
    expect(pool.stats().idle).toBe(1);
    await expect(pool.ready()).resolves.toBeUndefined();
    await pool.close();
  });

  it('ready() rejects with PoolClosedError after close', async () => {
    const { pool } = setup({ min: 1 });
    const pending = pool.ready();
    await pool.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    await expect(pool.ready()).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });
});

import { describe, expect, it } from 'vitest';
import { flush, setup, watch } from '../helpers.js';

describe('abort', () => {
  it('rejects with signal.reason and leaves the queue at once', async () => {
    const { clock, pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const ac = new AbortController();
    const p = watch(pool.acquire({ signal: ac.signal }));
    const other = watch(pool.acquire());
    expect(pool.stats().pending).toBe(2);
    const reason = new Error('client went away');
    ac.abort(reason);
    expect(pool.stats().pending).toBe(1); // synchronously
    await flush();
    expect(p.state).toBe('rejected');
    expect(p.error).toBe(reason);
    expect(pool.stats().aborted).toBe(1);
    a.release();
    await flush();
    expect(other.state).toBe('fulfilled');
    other.value!.release();
    await clock.advance(0);
    await pool.close();
  });

  it('a signal whose addEventListener throws rejects that acquire (no throw out of acquire(), nothing queued)', async () => {
    const { pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const boom = new Error('listener refused');
    const signal = {
      aborted: false,
      reason: undefined,
      addEventListener() {
        throw boom;
      },
      removeEventListener() {},
    } as unknown as AbortSignal;
    let p!: Promise<unknown>;
    expect(() => (p = pool.acquire({ signal }))).not.toThrow();
    await expect(p).rejects.toBe(boom);
    expect(pool.stats().pending).toBe(0);
    a.release();
    await flush();
    expect(pool.stats()).toMatchObject({ idle: 1, borrowed: 0 });
    await pool.close();
  });

  it('rejects at once with an already-aborted signal, without queueing', async () => {
    const { f, pool } = setup({ max: 1 });
    const reason = new DOMException('stop', 'AbortError');
    const p = pool.acquire({ signal: AbortSignal.abort(reason) });
    expect(pool.stats().pending).toBe(0);
    await expect(p).rejects.toBe(reason);
    expect(f.calls.create).toBe(0);
    await pool.close();
  });

  it('rejects with the default AbortError reason', async () => {
    const { pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const ac = new AbortController();
    const p = pool.acquire({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    a.release();
    await pool.close();
  });

  it('removes the abort listener once the acquire settles', async () => {
    const { pool } = setup({ max: 1 });
    const ac = new AbortController();
    const added: unknown[] = [];
    const removed: unknown[] = [];
    const signal = ac.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((t: string, l: EventListener, o?: AddEventListenerOptions) => (
      added.push(l), add(t, l, o)
    )) as never;
    signal.removeEventListener = ((t: string, l: EventListener) => (removed.push(l), remove(t, l))) as never;
    const a = await pool.acquire();
    const p = pool.acquire({ signal });
    a.release();
    const b = await p;
    expect(added).toHaveLength(1);
    expect(removed).toEqual(added);
    ac.abort(); // too late: no effect
    expect(b.released).toBe(false);
    b.release();
    await pool.close();
  });

  it('aborting one of many waiters keeps the others in order (O(1) removal from the middle)', async () => {
    const { pool } = setup({ max: 1 });
    const a = await pool.acquire();
    const acs = Array.from({ length: 5 }, () => new AbortController());
    const ps = acs.map((ac) => watch(pool.acquire({ signal: ac.signal })));
    acs[2].abort('x');
    acs[0].abort('y');
    acs[4].abort('z');
    expect(pool.stats().pending).toBe(2);
    a.release();
    await flush();
    expect(ps.map((p) => p.state)).toEqual(['rejected', 'fulfilled', 'rejected', 'pending', 'rejected']);
    ps[1].value!.release();
    await flush();
    expect(ps[3].state).toBe('fulfilled');
    ps[3].value!.release();
    await pool.close();
  });
});

import { describe, expect, it } from 'vitest';
import { KeyedPool, type Factory } from '../../../src/index.js';
import { flush, ManualClock } from '../../support/manual-clock.js';
import { TestFactory, type Res } from '../../support/test-factory.js';

/** Per-key TestFactories that also count resources alive across all keys. */
function counted() {
  const global = { live: 0, peak: 0 };
  const factories = new Map<string, TestFactory>();
  const factory = (key: string): Factory<Res> => {
    const f = new TestFactory();
    factories.set(key, f);
    return {
      async create(signal) {
        const r = await f.create(signal);
        global.peak = Math.max(global.peak, ++global.live);
        return r;
      },
      destroy(r) {
        global.live--;
        return f.destroy(r);
      },
    };
  };
  return { global, factories, factory };
}

describe('KeyedPool fairness under maxTotal', () => {
  it('one hot key holding every slot does not starve many cold keys', async () => {
    const clock = new ManualClock();
    const sleep = (ms: number) => new Promise<void>((r) => clock.setTimer(r, ms, true));
    const k = counted();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock, maxTotal: 4, perKey: { max: 4 } });

    // 20 workers hammer the hot key, each holding a resource for 10 ms, back to back.
    let stop = false;
    let hotUses = 0;
    const workers = Array.from({ length: 20 }, async () => {
      while (!stop) {
        await keyed.use('hot', async () => {
          await sleep(10);
          hotUses++;
        });
      }
    });
    await clock.advance(50);
    expect(keyed.stats().perKey.find((s) => s.key === 'hot')).toMatchObject({ borrowed: 4, pending: 16 });

    // 40 cold keys arrive one after another, each wanting one resource for 5 ms.
    const waits: number[] = [];
    const cold = Array.from(
      { length: 40 },
      (_, i) =>
        new Promise<void>((done, fail) => {
          clock.setTimer(
            () => {
              const start = clock.now();
              keyed
                .use(
                  `cold-${i}`,
                  async (r) => {
                    expect(k.factories.get(`cold-${i}`)!.created).toContain(r);
                    waits.push(clock.now() - start);
                    await sleep(5);
                  },
                  { timeoutMs: 200 },
                )
                .then(done, fail);
            },
            7 * i,
            true,
          );
        }),
    );
    const hotBefore = hotUses;
    await clock.advance(7 * 40 + 100);
    await Promise.all(cold);

    expect(waits).toHaveLength(40);
    // Each cold key waited at most one hot lease (10 ms), never its 200 ms timeout.
    expect(Math.max(...waits)).toBeLessThanOrEqual(10);
    // The hot key kept working meanwhile, and came back to full size once the cold keys left.
    expect(hotUses - hotBefore).toBeGreaterThan(80);
    await clock.advance(50);
    expect(keyed.stats().perKey.find((s) => s.key === 'hot')).toMatchObject({ borrowed: 4 });
    expect(k.global.peak).toBeLessThanOrEqual(4);
    expect(keyed.stats().reclaims).toBeGreaterThan(0);

    stop = true;
    await clock.advance(100); // 20 workers, 4 at a time, 10 ms each
    await Promise.all(workers);
    await keyed.close();
    expect(k.global.live).toBe(0);
    for (const f of k.factories.values()) expect(f.allDestroyedOnce()).toBe(true);
  });

  it('waiting keys are served first come, first served', async () => {
    const clock = new ManualClock();
    const k = counted();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock, maxTotal: 2, perKey: { max: 2 } });
    const held = [await keyed.acquire('a'), await keyed.acquire('a')];
    const order: string[] = [];
    const waiting = ['x', 'y', 'z'].map((key) => keyed.acquire(key).then((l) => (order.push(key), l)));
    await flush();
    expect(keyed.stats()).toMatchObject({ budgetWaiting: 3, owed: 1 }); // a holds 2: it owes 1 (keeps at least 1)
    held[0].release();
    const x = await waiting[0];
    expect(order).toEqual(['x']);
    held[1].release(); // a is idle now: evicted for y
    const y = await waiting[1];
    x.release(); // x goes idle: evicted for z
    const z = await waiting[2];
    expect(order).toEqual(['x', 'y', 'z']);
    expect(k.global.peak).toBe(2);
    y.release();
    z.release();
    await keyed.close();
  });

  it('forgives a busy key its debt when the waiting acquire gives up', async () => {
    const clock = new ManualClock();
    const k = counted();
    const keyed = new KeyedPool<string, Res>({ factory: k.factory, clock, maxTotal: 3, perKey: { max: 3 } });
    const held = await Promise.all([keyed.acquire('a'), keyed.acquire('a'), keyed.acquire('a')]);
    const ac = new AbortController();
    const b = keyed.acquire('b', { signal: ac.signal });
    await flush();
    expect(keyed.stats().owed).toBe(1);
    ac.abort(new Error('gave up'));
    await expect(b).rejects.toThrow('gave up');
    await flush();
    expect(keyed.stats().owed).toBe(0);
    // a's cap is back: releasing keeps its resources instead of destroying one.
    held[0].release();
    expect(k.factories.get('a')!.alive).toBe(3);
    for (const l of held) l.release();
    await keyed.close();
  });
});

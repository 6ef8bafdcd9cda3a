import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { KeyedPool, type Factory } from '../../src/index.js';
import { ManualClock } from '../support/manual-clock.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Conn {
  key: number;
  open: boolean;
}

describe('KeyedPool memory', () => {
  it('stays bounded with 100,000 distinct keys over time', { timeout: 60_000 }, async () => {
    const clock = new ManualClock();
    let live = 0;
    let peak = 0;
    const factory = (key: number): Factory<Conn> => ({
      create: async () => {
        peak = Math.max(peak, ++live);
        return { key, open: true };
      },
      destroy: (c) => {
        live--;
        c.open = false;
      },
    });
    const keyed = new KeyedPool<number, Conn>({ factory, clock, maxTotal: 200, idlePoolTimeoutMs: 1_000 });

    const KEYS = 100_000;
    const BATCH = 500; // keys used at once, then 100 ms pass
    let maxKeys = 0;
    let heapAfterWarmup = 0;
    for (let base = 0; base < KEYS; base += BATCH) {
      await Promise.all(Array.from({ length: BATCH }, (_, i) => keyed.use(base + i, (c) => {
        if (c.key !== base + i || !c.open) throw new Error(`key ${base + i} got a resource of key ${c.key}`);
      })));
      await clock.advance(100);
      maxKeys = Math.max(maxKeys, keyed.size);
      if (base === 10_000) {
        gc();
        heapAfterWarmup = process.memoryUsage().heapUsed;
      }
    }
    // Keys unused for 1 s are forgotten: at most ~1 s worth of batches (plus sweep slack) is open.
    expect(maxKeys).toBeLessThanOrEqual(12 * BATCH);
    expect(peak).toBeLessThanOrEqual(200);
    gc();
    const growth = process.memoryUsage().heapUsed - heapAfterWarmup;
    // 90,000 more key pools came and went; keeping them would cost hundreds of MB.
    expect(growth).toBeLessThan(32 * 1024 * 1024);

    await clock.advance(2_000);
    expect(keyed.size).toBe(0);
    expect(live).toBe(0);
    const s = keyed.stats();
    expect(s).toMatchObject({ keys: 0, live: 0, poolsCreated: KEYS, poolsClosed: KEYS, budgetWaiting: 0 });
    expect(s.total).toMatchObject({ acquired: KEYS, released: KEYS, created: s.total.destroyed });
    expect(clock.pending).toBe(0);
    await keyed.close();
  });
});

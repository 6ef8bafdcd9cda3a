import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { KeyedPool, type Factory } from '../../../src/index.js';
import { ManualClock } from '../../support/manual-clock.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Conn {
  key: number;
  open: boolean;
}

/** Uses `keys` distinct keys, 500 at a time with 100 ms between batches; returns what it saw. */
async function churn(keys: number, maxTotal: number, idlePoolTimeoutMs: number) {
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
  const keyed = new KeyedPool<number, Conn>({ factory, clock, maxTotal, idlePoolTimeoutMs });
  const BATCH = 500;
  let maxKeys = 0;
  let heapAfterWarmup = 0;
  for (let base = 0; base < keys; base += BATCH) {
    await Promise.all(
      Array.from({ length: BATCH }, (_, i) =>
        keyed.use(base + i, (c) => {
          if (c.key !== base + i || !c.open) throw new Error(`key ${base + i} got a resource of key ${c.key}`);
        }),
      ),
    );
    await clock.advance(100);
    maxKeys = Math.max(maxKeys, keyed.size);
    if (base === 5_000) {
      gc();
      heapAfterWarmup = process.memoryUsage().heapUsed;
    }
  }
  gc();
  const growth = process.memoryUsage().heapUsed - heapAfterWarmup;
  return { clock, keyed, maxKeys, peak, growth, live: () => live };
}

// Each key pool costs about 9 KB: keeping the keys that came and went would show as
// hundreds of MB here.
const MB = 1024 * 1024;

describe('KeyedPool memory', () => {
  it('forgets idle key pools: bounded with 100,000 distinct keys over time', { timeout: 60_000 }, async () => {
    const { clock, keyed, maxKeys, growth, live } = await churn(100_000, Infinity, 1_000);
    // Keys unused for 1 s are forgotten: about 1 s worth of batches (plus sweep slack) stays open.
    expect(maxKeys).toBeLessThanOrEqual(12 * 500);
    expect(growth).toBeLessThan(32 * MB);
    await clock.advance(2_000);
    expect(keyed.size).toBe(0);
    expect(live()).toBe(0);
    const s = keyed.stats();
    expect(s).toMatchObject({ keys: 0, live: 0, poolsCreated: 100_000, poolsClosed: 100_000, budgetWaiting: 0 });
    expect(s.total).toMatchObject({ acquired: 100_000, released: 100_000, created: s.total.destroyed });
    expect(clock.pending).toBe(0);
    await keyed.close();
  });

  it('under maxTotal, evicted idle key pools are forgotten too, even with no idle timeout', {
    timeout: 60_000,
  }, async () => {
    const { keyed, maxKeys, peak, growth } = await churn(20_000, 200, 0);
    expect(peak).toBeLessThanOrEqual(200);
    expect(maxKeys).toBeLessThanOrEqual(200);
    expect(growth).toBeLessThan(16 * MB);
    expect(keyed.stats()).toMatchObject({ poolsCreated: 20_000, poolsClosed: 19_800 });
    await keyed.close();
  });
});

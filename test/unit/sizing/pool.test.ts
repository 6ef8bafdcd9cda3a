// autoSize through a real Pool on the manual clock: closed-loop callers against a
// synthetic database (model.ts), the limit read from stats() and the `resize` events.
import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from '../../../src/core/pool.js';
import { ManualClock } from '../../support/manual-clock.js';
import { TestFactory } from '../../support/test-factory.js';
import { kneeDb } from './model.js';
import { Callers, limits, sizedPool } from './workload.js';

const open: { close(o?: { timeoutMs?: number }): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close({ timeoutMs: 0 });
});

describe('autoSize in a Pool', () => {
  it('starts at min (at least 1) and grows under load to near the knee of the database, not to max', async () => {
    const clock = new ManualClock();
    const { pool, resizes } = sizedPool(clock);
    open.push(pool);
    expect(pool.stats().limit).toBe(1);
    const callers = new Callers(pool, clock, kneeDb(20, 16));
    callers.add(64);
    const seen = await limits(pool, clock, 40_000);
    await callers.stop();
    const late = seen.slice(-40);
    const sorted = [...late].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    expect(median).toBeGreaterThanOrEqual(13);
    expect(median).toBeLessThanOrEqual(24);
    expect(Math.max(...seen)).toBeLessThanOrEqual(32);
    // Every change is announced, from what it was, and stats follow.
    expect(resizes[0]).toMatchObject({ from: 1, to: 2, reason: 'grow' });
    for (let i = 1; i < resizes.length; i++) expect(resizes[i].from).toBe(resizes[i - 1].to);
    expect(resizes.at(-1)!.to).toBe(pool.stats().limit);
    expect(new Set(resizes.map((r) => r.reason))).toEqual(new Set(['grow', 'backoff']));
    // The pool kept to its limit: never more live than the highest limit.
    expect(pool.stats().peakBorrowed).toBeLessThanOrEqual(Math.max(...seen));
  });

  it('grows to max when hold times stay flat, within 10 s', async () => {
    const clock = new ManualClock();
    const { pool } = sizedPool(clock, { max: 32 });
    open.push(pool);
    const callers = new Callers(pool, clock, () => 20);
    callers.add(48);
    await clock.advance(10_000);
    expect(pool.stats().limit).toBe(32);
    await callers.stop();
  });

  it('shrinks slowly after the load goes, destroying what it sheds (reason shrink), down to min', async () => {
    const clock = new ManualClock();
    const { pool, resizes } = sizedPool(clock, { max: 16, min: 2, idleTimeoutMs: 0 });
    open.push(pool);
    const callers = new Callers(pool, clock, () => 20);
    callers.add(32);
    await clock.advance(10_000);
    expect(pool.stats().limit).toBe(16);
    await callers.stop();
    const at = pool.stats().limit;
    await clock.advance(8_000);
    expect(pool.stats().limit).toBe(at); // a lull shorter than shrinkAfterMs moves nothing
    await clock.advance(60_000);
    const s = pool.stats();
    expect(s.limit).toBe(2);
    expect(s.size).toBe(2);
    expect(s.destroyedBy.shrink).toBe(14);
    const shrinks = resizes.filter((r) => r.reason === 'shrink');
    expect(shrinks.length).toBeGreaterThanOrEqual(3);
  });

  it('resize() sets the bounds the limit moves within', async () => {
    const clock = new ManualClock();
    const { pool, resizes } = sizedPool(clock, { max: 32 });
    open.push(pool);
    const callers = new Callers(pool, clock, () => 20);
    callers.add(48);
    await clock.advance(10_000);
    expect(pool.stats().limit).toBe(32);
    pool.resize({ max: 8 });
    expect(pool.stats()).toMatchObject({ max: 8, limit: 8 });
    expect(resizes.at(-1)).toMatchObject({ from: 32, to: 8, reason: 'bounds' });
    await clock.advance(5_000);
    expect(pool.stats().limit).toBe(8);
    expect(pool.stats().size).toBeLessThanOrEqual(8);
    // A higher max: the limit grows into it under the same load.
    pool.resize({ max: 24 });
    expect(pool.stats().limit).toBe(8);
    await clock.advance(10_000);
    expect(pool.stats().limit).toBe(24);
    await callers.stop();
    // min is the floor: raising it lifts the limit at once, and shrinking stops there.
    pool.resize({ min: 12 });
    await clock.advance(90_000);
    expect(pool.stats().limit).toBe(12);
  });

  it('resize() raising min above the limit lifts the limit at once', async () => {
    const clock = new ManualClock();
    const { pool, resizes } = sizedPool(clock, { max: 16 });
    open.push(pool);
    expect(pool.stats().limit).toBe(1);
    pool.resize({ min: 4 });
    expect(pool.stats().limit).toBe(4);
    expect(resizes).toEqual([{ from: 1, to: 4, reason: 'bounds', at: 0 }]);
  });

  it('runs one timer that never keeps the process alive, and none after close', async () => {
    const clock = new ManualClock();
    const { pool } = sizedPool(clock);
    expect(clock.pending).toBe(1);
    expect(clock.keepingAlive).toBe(0);
    await clock.advance(2_000);
    expect(clock.pending).toBe(1);
    await pool.close();
    expect(clock.pending).toBe(0);
    await clock.advance(2_000);
    expect(clock.pending).toBe(0);
  });

  it('off by default: the limit is max and no timer runs', () => {
    const clock = new ManualClock();
    const pool = new Pool({ factory: new TestFactory(), max: 7, clock });
    open.push(pool);
    expect(pool.stats().limit).toBe(7);
    expect(pool.config().autoSize).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('keepalive validations never count as samples: an idle pool with pings stays at min', async () => {
    const clock = new ManualClock();
    const factory = new TestFactory({ validate: true, clock });
    const pool = new Pool({ factory, min: 3, max: 10, keepaliveMs: 100, autoSize: true, clock });
    open.push(pool);
    const resizes: unknown[] = [];
    pool.on('resize', (r) => resizes.push(r));
    await pool.ready();
    await clock.advance(20_000);
    expect(factory.calls.validate).toBeGreaterThan(100);
    expect(pool.stats()).toMatchObject({ limit: 3, released: 0, useTime: { count: 0 } });
    expect(resizes).toEqual([]);
  });

  it('resetStats() in the middle of a window skips that window', async () => {
    const clock = new ManualClock();
    const { pool } = sizedPool(clock, { max: 32 });
    open.push(pool);
    const callers = new Callers(pool, clock, () => 20);
    callers.add(48);
    for (let i = 0; i < 10; i++) {
      await clock.advance(2_000);
      pool.resetStats();
    }
    expect(pool.stats().limit).toBe(32);
    await callers.stop();
  });
});

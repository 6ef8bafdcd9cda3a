// The autoSize controller driven directly with synthetic workloads (a fluid model of a
// pool in front of a database: see model.ts), window by window, without a pool or a clock.
import { describe, expect, it } from 'vitest';
import { between, drive, settledAt, within } from './drive.js';
import { type Database, kneeDb, uslDb } from './model.js';

const parallel = kneeDb(5, 1_000); // work that runs in parallel: hold times flat at any size
const hotRow = kneeDb(5, 16); // a database that saturates at 16 leases: beyond, throughput is flat
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('autoSize controller: steady load', () => {
  it('an open load settles at arrival rate × hold time × headroom and stays within ±20 %', () => {
    // 4 arrivals per ms × 5 ms = 20 leases needed; headroom 1.25 → 25.
    const run = drive([{ seconds: 120, load: { ratePerMs: 4 }, db: parallel }]);
    const late = between(run, 30, 120);
    const m = median(late);
    expect(m).toBeGreaterThanOrEqual(22);
    expect(m).toBeLessThanOrEqual(30);
    expect(within(late, m, 0.2)).toBe(true);
  });

  it('a closed loop against a database that saturates settles near its knee, not at max', () => {
    const run = drive([{ seconds: 180, load: { callers: 64 }, db: hotRow }]);
    const late = between(run, 20, 180);
    const m = median(late);
    expect(m).toBeGreaterThanOrEqual(16);
    expect(m).toBeLessThanOrEqual(32);
    // Steady: within ±20 % of the median nearly all the time (a growth trial lasts 1.5 s).
    const off = late.filter((l) => Math.abs(l - m) > 0.2 * m).length;
    expect(off / late.length).toBeLessThan(0.05);
  });

  it('a gradual knee (a hot row): at least 0.9× the best fixed size, with at most half of max', () => {
    // Fitted to the hot-row workload measured here: fixed 16 gets ×1.28 of fixed 8's
    // throughput, 32 ×0.98 and 64 ×0.75 of 16's. A doubling from 8 pays, but less than its
    // line: the limit ends between 8 and 16, not back at 8. Hold-time noise ±10 % per
    // window (the real database's windows change by 4–8 % from one to the next).
    const usl = uslDb(2, 0.064, 0.00198);
    const throughput = (limit: number): number => Math.min(limit, 64) / usl(Math.min(limit, 64), 0);
    const bestFixed = Math.max(...[8, 16, 32, 64].map(throughput));
    for (let seed = 1; seed <= 12; seed++) {
      const late = between(drive([{ seconds: 120, load: { callers: 64 }, db: usl }], { jitter: 0.1, seed }), 20, 120);
      const mean = late.reduce((a, l) => a + throughput(l), 0) / late.length;
      expect(mean / bestFixed).toBeGreaterThanOrEqual(0.9);
      expect(late.reduce((a, l) => a + l, 0) / late.length).toBeLessThanOrEqual(32);
      expect(within(late, median(late), 0.2)).toBe(true);
    }
  });

  it('a small knee (CPU-bound: throughput flat past 2 leases), once confirmed, keeps a still limit', () => {
    // One connection more or less at 2 is ±50 %: past two failed growths the knee is not
    // probed again until the load steps, so the steady limit moves by less than ±20 %.
    const cpu = kneeDb(40, 2);
    for (let seed = 1; seed <= 12; seed++) {
      const run = drive([{ seconds: 120, load: { callers: 64 }, db: cpu }], { jitter: 0.1, seed });
      const late = between(run, 20, 120);
      const m = median(late);
      expect(m).toBeLessThanOrEqual(4);
      expect(within(late, m, 0.2)).toBe(true);
    }
  });

  it('a closed loop on work that runs in parallel grows to max, doubling', () => {
    const run = drive([{ seconds: 20, load: { callers: 64 }, db: parallel }]);
    expect(run.controller.limit).toBe(64);
    expect(run.reasons.every((r) => r === 'grow')).toBe(true);
    expect(between(run, 0, 10).at(-1)).toBe(64);
  });
});

describe('autoSize controller: steps in load', () => {
  it('after an upward step the limit is within ±20 % of its final value within 10 s, and stays there', () => {
    const run = drive([
      { seconds: 60, load: { ratePerMs: 0.4 }, db: parallel }, // 2 leases needed
      { seconds: 60, load: { ratePerMs: 4 }, db: parallel }, // 20 needed
    ]);
    const final = run.controller.limit;
    expect(final).toBeGreaterThanOrEqual(22);
    const at = settledAt(run, 60, 120, final);
    expect(at).not.toBeNull();
    expect(at! - 60).toBeLessThanOrEqual(10);
  });

  it('after a downward step it is within ±20 % of its final value within 60 s', () => {
    const run = drive([
      { seconds: 60, load: { ratePerMs: 4 }, db: parallel }, // 20 needed
      { seconds: 120, load: { ratePerMs: 0.8 }, db: parallel }, // 4 needed
    ]);
    const final = run.controller.limit;
    expect(final).toBeGreaterThanOrEqual(5);
    expect(final).toBeLessThanOrEqual(7);
    const at = settledAt(run, 60, 180, final);
    expect(at).not.toBeNull();
    expect(at! - 60).toBeLessThanOrEqual(60);
  });
});

describe('autoSize controller: a slow database', () => {
  it('never grows while hold times climb, and backs off', () => {
    // From second 40 the database gets slower by half its speed every second.
    const slowing: Database = (n, t) => hotRow(n, t) * (t > 40 ? 1.5 ** (t - 40) : 1);
    const run = drive([
      { seconds: 40, load: { callers: 64 }, db: slowing },
      { seconds: 10, load: { callers: 64 }, db: slowing },
    ]);
    // The level it held before (a cut on trial at second 40 may be undone once: that is no growth).
    const held = Math.max(...between(run, 30, 40));
    expect(Math.max(...between(run, 40, 50))).toBeLessThanOrEqual(held);
    expect(run.controller.limit).toBeLessThan(held / 2);
  });

  it('after a sudden slowdown it backs off once and does not grow past where it was', () => {
    const slower: Database = (n, t) => hotRow(n, t) * (t > 60 ? 3 : 1);
    const run = drive([{ seconds: 120, load: { callers: 64 }, db: slower }]);
    const before = median(between(run, 30, 60));
    const after = between(run, 60, 120);
    expect(Math.max(...after)).toBeLessThanOrEqual(Math.ceil(before * 1.25));
    expect(Math.min(...after)).toBeLessThan(before);
  });

  it('no unbounded growth under mild overload: 10 minutes at a database that saturates', () => {
    const run = drive([{ seconds: 600, load: { callers: 256 }, db: hotRow }], { hi: 256 });
    expect(Math.max(...between(run, 20, 600))).toBeLessThanOrEqual(40);
    expect(median(between(run, 300, 600))).toBeLessThanOrEqual(32);
  });

  it('no unbounded growth when throughput falls past the knee (steeper than flat)', () => {
    const run = drive([{ seconds: 600, load: { callers: 256 }, db: kneeDb(5, 16, 1.3) }], { hi: 256 });
    expect(Math.max(...between(run, 20, 600))).toBeLessThanOrEqual(32);
    expect(median(between(run, 300, 600))).toBeLessThanOrEqual(20);
  });
});

describe('autoSize controller: idle', () => {
  it('shrinks slowly to min once the load is gone, one half of the gap at a time', () => {
    const run = drive([
      { seconds: 60, load: { ratePerMs: 4 }, db: parallel },
      { seconds: 90, load: { ratePerMs: 0 }, db: parallel },
    ]);
    const busy = between(run, 59.5, 60)[0];
    // Nothing moves before shrinkAfterMs (10 s) of idleness.
    expect(between(run, 60, 69.5).every((l) => l === busy)).toBe(true);
    const steps = run.reasons.slice(run.reasons.lastIndexOf('grow') + 1);
    expect(steps.every((r) => r === 'shrink')).toBe(true);
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(run.controller.limit).toBe(1);
  });

  it('stops at min', () => {
    const run = drive(
      [
        { seconds: 60, load: { ratePerMs: 4 }, db: parallel },
        { seconds: 120, load: { ratePerMs: 0 }, db: parallel },
      ],
      { lo: 4 },
    );
    expect(run.controller.limit).toBe(4);
  });

  it('does not collapse to min on a short lull', () => {
    const run = drive([
      { seconds: 60, load: { ratePerMs: 4 }, db: parallel },
      { seconds: 8, load: { ratePerMs: 0 }, db: parallel },
      { seconds: 30, load: { ratePerMs: 4 }, db: parallel },
    ]);
    const busy = between(run, 59.5, 60)[0];
    expect(Math.min(...between(run, 60, 98))).toBe(busy);
  });

  it('shrinkAfterMs sets how long the load must stay below before it shrinks', () => {
    const run = drive(
      [
        { seconds: 60, load: { ratePerMs: 4 }, db: parallel },
        { seconds: 30, load: { ratePerMs: 0 }, db: parallel },
      ],
      { shrinkAfterMs: 25_000 },
    );
    const busy = between(run, 59.5, 60)[0];
    expect(between(run, 60, 84.5).every((l) => l === busy)).toBe(true);
    expect(run.controller.limit).toBeLessThan(busy);
  });
});

describe('autoSize controller: bounds', () => {
  it('setBounds moves the limit into new bounds and says so', () => {
    const run = drive([{ seconds: 20, load: { callers: 64 }, db: parallel }]);
    const c = run.controller;
    expect(c.setBounds(1, 10)).toEqual({ from: 64, to: 10, reason: 'bounds' });
    expect(c.limit).toBe(10);
    expect(c.setBounds(12, 20)).toEqual({ from: 10, to: 12, reason: 'bounds' });
    expect(c.setBounds(1, 40)).toBeNull();
    expect(c.limit).toBe(12);
  });
});

describe('autoSize controller: load that comes back', () => {
  it('a second burst finds the knee again within 10 s', () => {
    const run = drive([
      { seconds: 60, load: { callers: 64 }, db: hotRow },
      { seconds: 90, load: { ratePerMs: 0.4 }, db: hotRow }, // 2 leases needed: it shrinks
      { seconds: 30, load: { callers: 64 }, db: hotRow },
    ]);
    expect(Math.max(...between(run, 140, 150))).toBeLessThanOrEqual(4);
    // Back at the knee (16) within 10 s, and then in its band (beyond it throughput is flat).
    const back = between(run, 150, 180);
    expect(Math.max(...between(run, 155, 160))).toBeGreaterThanOrEqual(16);
    expect(Math.min(...between(run, 160, 180))).toBeGreaterThanOrEqual(13);
    expect(Math.max(...back)).toBeLessThanOrEqual(32);
  });
});

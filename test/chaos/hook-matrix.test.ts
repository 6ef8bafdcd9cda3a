import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/index.js';
import { flush } from '../support/manual-clock.js';
import { StrictClock } from '../support/strict-clock.js';
import {
  checkClosed,
  checkDrained,
  combos,
  modes,
  name,
  startPool,
  type MatrixTiming,
  type PoolRun,
} from './hook-matrix.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function report(runs: PoolRun[]): string {
  const bad = runs.filter((r) => r.problems.length > 0);
  return bad.map((r) => `${name(r.combo)}:\n  ${[...new Set(r.problems)].slice(0, 8).join('\n  ')}`).join('\n');
}

function tally(runs: PoolRun[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.outcomes)) t[k] = (t[k] ?? 0) + v;
  return t;
}

describe('hook matrix: ok / error / slow / never for create, validate, reset, destroy (256 pools)', () => {
  beforeAll(() => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {}); // forced closes warn
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  const manual: MatrixTiming = { timeouts: [1, 3, 8, 20], slowMs: 6, hookLimitMs: 12, closeTimeoutMs: 20, holdMs: 4 };

  for (const create of modes) {
    it(`create=${create}: 64 pools on a manual clock, every invariant holds and nothing stays pending`, async () => {
      const clock = new StrictClock();
      const runs = combos()
        .filter((c) => c.create === create)
        .map((c, i) => startPool(c, clock, 1 + i + 64 * modes.indexOf(create), manual));
      let done = false;
      void Promise.all(runs.map((r) => r.borrowers)).then(() => (done = true));
      // Every acquire is bounded by its timeout (at most 20 ms) and every hold by 4 ms: 6 rounds take well under 1 s.
      while (!done && clock.now() < 1_000) await clock.advance(2);
      expect(
        done,
        `borrowers still waiting after ${clock.now()} ms:\n${runs
          .filter((r) => r.settled < r.started)
          .map((r) => name(r.combo))
          .join('\n')}`,
      ).toBe(true);

      const closes = runs.map((r) => r.close());
      let closed = false;
      void Promise.all(closes).then(() => (closed = true));
      const closeStart = clock.now();
      while (!closed && clock.now() < closeStart + manual.closeTimeoutMs + 10) await clock.advance(1);
      expect(closed, 'close() still pending after its timeout').toBe(true);
      for (const r of runs) checkClosed(r, manual);

      await clock.advance(manual.hookLimitMs + manual.slowMs + 10);
      for (const r of runs) for (const c of r.f.pending()) c.settle(c.seq % 2 === 0); // hooks that never settled, settled late
      await flush();
      await clock.advance(manual.slowMs + 10);
      for (const r of runs) checkDrained(r);
      expect(report(runs)).toBe('');
      const t = tally(runs);
      if (create === 'ok' || create === 'slow') expect(t.lease ?? 0).toBeGreaterThan(0);
      else expect(t.lease ?? 0).toBe(0);
      console.log(`[matrix] create=${create}: ${runs.length} pools, ${JSON.stringify(t)}`);
    });
  }

  it('all 256 pools at once on the real clock: the same, with real timers', async () => {
    const real: MatrixTiming = { timeouts: [2, 5, 10, 25], slowMs: 8, hookLimitMs: 15, closeTimeoutMs: 30, holdMs: 3 };
    const started = performance.now();
    const runs = combos().map((c, i) => startPool(c, systemClock, 1_000 + i, real));
    let done = false;
    void Promise.all(runs.map((r) => r.borrowers)).then(() => (done = true));
    while (!done && performance.now() - started < 20_000) await sleep(10);
    expect(
      done,
      `borrowers still waiting after 20 s:\n${runs
        .filter((r) => r.settled < r.started)
        .map((r) => name(r.combo))
        .join('\n')}`,
    ).toBe(true);
    const ran = performance.now() - started;

    const closes = runs.map((r) => r.close());
    const closeStart = performance.now();
    let closed = false;
    void Promise.all(closes).then(() => (closed = true));
    while (!closed && performance.now() - closeStart < 5_000) await sleep(5);
    expect(closed, 'close() still pending 5 s after it was called').toBe(true);
    for (const r of runs) checkClosed(r, real);

    await sleep(real.hookLimitMs + real.slowMs + 40);
    for (const r of runs) for (const c of r.f.pending()) c.settle(c.seq % 2 === 0);
    await sleep(real.slowMs + 30);
    // A destroy started by a late settle counts as closing until its destroyTimeoutMs timer
    // runs: on a busy machine real timers run late, so give them (bounded) time to.
    const drainStart = performance.now();
    while (
      runs.some((r) => r.pool.stats().closing > 0 || r.tclock.armed().length > 0) &&
      performance.now() - drainStart < 2_000
    )
      await sleep(10);
    for (const r of runs) checkDrained(r);
    expect(report(runs)).toBe('');
    console.log(
      `[matrix] real clock: 256 pools in ${Math.round(ran)} ms, closed in ${Math.round(performance.now() - closeStart)} ms, ${JSON.stringify(tally(runs))}`,
    );
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUDGET_MS, INFO_ROUNDS, rounds } from '../../bench/lib.js';

/**
 * The benchmark's round scheduler, on a clock that each measurement advances by the
 * subject's own duration: how many samples each subject gets and which ones count.
 */
describe('bench rounds()', () => {
  let t = 0;
  const clock = (): number => t;
  const had = (globalThis as { gc?: () => void }).gc;
  beforeEach(() => {
    t = 0;
    (globalThis as { gc?: () => void }).gc = () => {};
  });
  afterEach(() => {
    (globalThis as { gc?: () => void }).gc = had;
  });

  type S = { name: string; peer: boolean; headline: boolean; ms: number };
  /** Each call advances the clock by the subject's `ms` and returns the call's number. */
  function measurer() {
    const calls = new Map<string, number>();
    const measure = async (s: S): Promise<number> => {
      t += s.ms;
      const n = (calls.get(s.name) ?? 0) + 1;
      calls.set(s.name, n);
      return n;
    };
    return { calls, measure };
  }

  it('gives a quick subject every round and drops its warm-up measurement', async () => {
    const { calls, measure } = measurer();
    const out = await rounds([{ name: 'quick', peer: true, headline: false, ms: 100 }], measure, { count: 5, clock });
    expect(calls.get('quick')).toBe(6);
    // Measurements 2..6 are kept: their median is the 4th.
    expect(out.get('quick')).toEqual([4]);
  });

  it('stops a subject before a round would take it past the budget, with no cliff at any one duration', async () => {
    const { calls, measure } = measurer();
    const ms = BUDGET_MS / 4.5; // four rounds fit, a fifth would not
    await rounds([{ name: 'steady', peer: false, headline: true, ms }], measure, { count: 5, warmup: false, clock });
    expect(calls.get('steady')).toBe(4);
  });

  it('measures a subject slower than the budget once, keeping that measurement even from the warm-up round', async () => {
    const { calls, measure } = measurer();
    const out = await rounds([{ name: 'slow', peer: true, headline: false, ms: BUDGET_MS * 0.6 }], measure, {
      count: 5,
      clock,
    });
    expect(calls.get('slow')).toBe(1);
    expect(out.get('slow')).toEqual([1]);
  });

  it('gives an information-only row (neither peer nor headline) INFO_ROUNDS samples', async () => {
    const { calls, measure } = measurer();
    const subjects = [
      { name: 'floor', peer: false, headline: false, ms: 10 },
      { name: 'lido', peer: false, headline: true, ms: 10 },
      { name: 'peer', peer: true, headline: false, ms: 10 },
    ];
    await rounds(subjects, measure, { count: 7, warmup: false, clock });
    expect(INFO_ROUNDS).toBeLessThan(7);
    expect(calls.get('floor')).toBe(INFO_ROUNDS);
    expect(calls.get('lido')).toBe(7);
    expect(calls.get('peer')).toBe(7);
  });

  it('gives an information-only row marked full as many samples as the peers', async () => {
    const { calls, measure } = measurer();
    const subjects = [
      { name: 'floor', peer: false, headline: false, full: true, ms: 10 },
      { name: 'variant', peer: false, headline: false, ms: 10 },
      { name: 'peer', peer: true, headline: false, ms: 10 },
    ];
    await rounds(subjects, measure, { count: 7, warmup: false, clock });
    expect(calls.get('floor')).toBe(7);
    expect(calls.get('variant')).toBe(INFO_ROUNDS);
    expect(calls.get('peer')).toBe(7);
  });

  it('reports null for a subject whose every measurement is not applicable', async () => {
    const out = await rounds([{ name: 'n/a', peer: true, headline: false, ms: 0 }], async () => null, {
      count: 3,
      clock,
    });
    expect(out.get('n/a')).toBeNull();
  });
});

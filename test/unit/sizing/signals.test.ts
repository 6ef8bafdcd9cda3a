// What the auto-sizer reads of a pool per window: differences of its counters.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../../src/core/options.js';
import { PoolState } from '../../../src/core/state.js';
import { Sampler } from '../../../src/sizing/signals.js';
import { ManualClock } from '../../support/manual-clock.js';
import { TestFactory } from '../../support/test-factory.js';

function stateAt(clock: ManualClock): PoolState<unknown> {
  return new PoolState(resolveOptions({ factory: new TestFactory(), clock }) as never);
}

describe('autoSize signals', () => {
  it('hold time, leases in use (Little), arrivals and waits of one window', async () => {
    const clock = new ManualClock();
    const state = stateAt(clock);
    const sampler = new Sampler(state);
    const c = state.counters;
    // 100 leases of 10 ms each over 500 ms: 2 in use on average.
    for (let i = 0; i < 100; i++) {
      c.acquired++;
      c.released++;
      c.useTime.record(10);
      c.waitTime.recordZero();
    }
    c.waitTime.record(250); // one caller waited 250 ms: half a caller waiting on average
    c.acquired++;
    c.timeouts++;
    await clock.advance(500);
    const s = sampler.take(clock.now())!;
    expect(s.dtMs).toBe(500);
    expect(s.released).toBe(100);
    expect(s.holdMs).toBe(10);
    expect(s.busy).toBeCloseTo(2);
    expect(s.queued).toBeCloseTo(0.5);
    expect(s.arrivalRate).toBeCloseTo(102 / 500);
    expect(s.waited).toBe(true);
  });

  it('a quiet window: no releases, no hold time, nothing waited', async () => {
    const clock = new ManualClock();
    const sampler = new Sampler(stateAt(clock));
    await clock.advance(500);
    const s = sampler.take(clock.now())!;
    expect(s).toMatchObject({ released: 0, busy: 0, queued: 0, arrivalRate: 0, waited: false });
    expect(Number.isNaN(s.holdMs)).toBe(true);
  });

  it('a window in which resetStats() zeroed the counters is skipped', async () => {
    const clock = new ManualClock();
    const state = stateAt(clock);
    const sampler = new Sampler(state);
    state.counters.released = 50;
    await clock.advance(500);
    state.counters.reset(clock.now(), 0);
    expect(sampler.take(clock.now())).toBeNull();
    state.counters.released = 5;
    state.counters.useTime.record(4);
    await clock.advance(500);
    expect(sampler.take(clock.now())!.released).toBe(5);
  });
});

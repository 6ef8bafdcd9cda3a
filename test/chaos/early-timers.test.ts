/**
 * Node runs timers by the event loop's cached time, so a timer may fire a little before
 * `performance.now()` says it is due. Here a clock whose timers always fire 1 ms early
 * makes that deterministic: the pool must neither stall nor spin.
 */
import { describe, expect, it } from 'vitest';
import { Pool, type Clock } from '../../src/index.js';
import { StrictClock } from '../support/strict-clock.js';
import { ScriptedFactory } from '../support/scripted-factory.js';

/**
 * Forwards to a manual clock; every timer of at least 2 × `earlyMs` fires `earlyMs`
 * before it is due (shorter ones on time: in Node the cached loop time catches up).
 */
class EarlyClock implements Clock {
  constructor(
    readonly inner: StrictClock,
    readonly earlyMs: number,
  ) {}
  now(): number {
    return this.inner.now();
  }
  setTimer(fn: () => void, ms: number, keepAlive: boolean): unknown {
    return this.inner.setTimer(fn, ms >= 2 * this.earlyMs ? ms - this.earlyMs : ms, keepAlive);
  }
  clearTimer(handle: unknown): void {
    this.inner.clearTimer(handle);
  }
}

describe('timers that fire early', () => {
  it('a failing create is retried at the backoff pace, never stalling (min refill, nobody waiting)', async () => {
    const clock = new StrictClock();
    const f = new ScriptedFactory({ clock, plans: { create: ['fail'] } });
    const pool = new Pool({
      factory: f,
      clock: new EarlyClock(clock, 1),
      min: 1,
      maxConcurrentCreates: 1,
      random: () => 0.5,
      createRetry: { baseMs: 40, capMs: 320 },
    });
    await clock.advance(2_000);
    const times = f.calls.filter((c) => c.hook === 'create').map((c) => c.calledAt);
    // 0, then 30, 60, 120, 240, 240… ms apart (each retry waits out the 1 ms its timer was early).
    expect(times.slice(0, 6)).toEqual([0, 30, 90, 210, 450, 690]);
    expect(times.length).toBe(11); // …, 930, 1170, 1410, 1650, 1890
    await pool.close();
  });

  it('a waiter times out at its deadline, not before, and is never left pending', async () => {
    const clock = new StrictClock();
    const f = new ScriptedFactory({ clock, plans: { create: ['never'] } });
    const pool = new Pool({ factory: f, clock: new EarlyClock(clock, 1), max: 1, createTimeoutMs: 10_000 });
    const started = clock.now();
    let settledAt = -1;
    pool.acquire({ timeoutMs: 100 }).catch(() => (settledAt = clock.now()));
    await clock.advance(99);
    expect(settledAt).toBe(-1);
    await clock.advance(1);
    expect(settledAt - started).toBe(100);
    await pool.close({ timeoutMs: 0 });
  });
});

import type { Clock } from '../../src/clock.js';
import { flush } from './manual-clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  keepAlive: boolean;
}

/**
 * A manual clock like `ManualClock` (time moves only in `advance(ms)`, which fires due
 * timers in order and lets promise callbacks run after each) that also refuses to run
 * away: after `maxFires` timers in one advance it throws (a pool re-arming a timer that
 * is always due, a retry that never backs off), and `check` runs after every timer so
 * a test can stop at the first broken invariant instead of at the end of the advance.
 */
export class StrictClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers = new Set<Timer>();

  constructor(readonly options: { maxFires?: number; check?: () => void } = {}) {}

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number, keepAlive: boolean): unknown {
    const t: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, keepAlive };
    this.#timers.add(t);
    return t;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as Timer);
  }

  /** Timers still armed. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    const max = this.options.maxFires ?? 100_000;
    await flush();
    for (let fired = 0; ; fired++) {
      let next: Timer | null = null;
      for (const t of this.#timers) if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (next === null) break;
      if (fired >= max) throw new Error(`runaway timers: ${max} fired within ${ms} ms (at ${this.#now} ms); something re-arms without waiting`);
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await flush();
      this.options.check?.();
    }
    this.#now = end;
    await flush();
  }
}

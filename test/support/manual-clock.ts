import type { Clock } from '../../src/core/util/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  keepAlive: boolean;
}

/** Lets every pending promise callback run (no time passes). */
export async function flush(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A clock that moves only when told: `advance(ms)` fires due timers in order, letting
 * promise callbacks run after each, so tests never sleep.
 */
export class ManualClock implements Clock {
  #now = 0;
  /** Wall-clock time minus monotonic time: constant unless {@link jumpWall} moves it. */
  #wallOffset = 1_700_000_000_000;
  #seq = 0;
  #timers = new Set<Timer>();

  /**
   * `maxFires`: how many timers one `advance` may fire before it throws (default: no
   * limit); `check`: runs after every timer fired.
   */
  constructor(readonly options: { maxFires?: number; check?: () => void } = {}) {}

  now(): number {
    return this.#now;
  }

  /** Wall-clock time: moves with {@link now}, plus whatever {@link jumpWall} added. */
  wallNow(): number {
    return this.#now + this.#wallOffset;
  }

  /** The wall clock jumps `ms` ahead while the monotonic clock stands still (a machine waking from sleep). */
  jumpWall(ms: number): void {
    this.#wallOffset += ms;
  }

  /**
   * `ms` pass without any timer firing, as in a frozen or blocked process; the timers that
   * fell due fire, late, at the next {@link advance} (`advance(0)` fires just those).
   */
  stall(ms: number): void {
    this.#now += ms;
  }

  setTimer(fn: () => void, ms: number, keepAlive: boolean): unknown {
    const t: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, keepAlive };
    this.#timers.add(t);
    return t;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as Timer);
  }

  /** Timers still armed (for asserting that nothing is left behind). */
  get pending(): number {
    return this.#timers.size;
  }

  /** Armed timers that would keep a real process alive. */
  get keepingAlive(): number {
    let n = 0;
    for (const t of this.#timers) if (t.keepAlive) n++;
    return n;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    const max = this.options.maxFires ?? Infinity;
    await flush();
    for (let fired = 0; ; fired++) {
      let next: Timer | null = null;
      for (const t of this.#timers)
        if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (next === null) break;
      if (fired >= max)
        throw new Error(
          `runaway timers: ${max} fired within ${ms} ms (at ${this.#now} ms); something re-arms without waiting`,
        );
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

/** A manual clock whose timers fire 0.4 ms early, as Node's can by `performance.now()`. */
export class EarlyTimersClock extends ManualClock {
  override setTimer(fn: () => void, ms: number, keepAlive: boolean): unknown {
    return super.setTimer(fn, Math.max(0, ms - 0.4), keepAlive);
  }
}

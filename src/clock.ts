import { performance } from 'node:perf_hooks';

/**
 * A source of time and timers. The pool reads time and schedules every timer through
 * one of these, so tests can drive it deterministically with a manual clock.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
  /**
   * Calls `fn` after `ms` milliseconds. When `keepAlive` is false the timer must not
   * keep the process alive (Node's `unref`).
   */
  setTimer(fn: () => void, ms: number, keepAlive: boolean): unknown;
  /** Cancels a timer returned by {@link Clock.setTimer}; unknown handles are ignored. */
  clearTimer(handle: unknown): void;
}

/**
 * The real clock: `performance.now()` and Node's timers. `performance` is imported rather
 * than read from the global, whose lazy getter cost a call per clock read.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms, keepAlive) {
    const t = setTimeout(fn, ms);
    if (!keepAlive) t.unref();
    return t;
  },
  clearTimer(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

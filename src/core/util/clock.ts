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
  /**
   * Milliseconds of wall-clock time (`Date.now()`). Optional: the pool compares it with
   * {@link Clock.now} to notice a process that was frozen while the machine slept (option
   * `thawAfterMs`); without it only late timers tell.
   */
  wallNow?(): number;
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
  wallNow: () => Date.now(),
};

/**
 * Calls `fire(now)` once `clock.now()` is at least `ms` past `since`. Node's timers count
 * whole milliseconds of the event loop's cached time and can fire a fraction of a
 * millisecond before `performance.now()` gets there: a timer that fired early is armed
 * again for the rest. `store` gets every handle armed, so that the caller can clear the
 * current one.
 */
export function setTimerAtLeast(
  clock: Clock,
  since: number,
  ms: number,
  keepAlive: boolean,
  store: (handle: unknown) => void,
  fire: (now: number) => void,
): void {
  const check = (): void => {
    const now = clock.now();
    if (now - since < ms) store(clock.setTimer(check, Math.ceil(ms - (now - since)), keepAlive));
    else fire(now);
  };
  store(clock.setTimer(check, ms, keepAlive));
}

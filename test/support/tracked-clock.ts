import type { Clock } from '../../src/core/util/clock.js';

interface Armed {
  handle: unknown;
  /** When it is due, on the inner clock. */
  at: number;
  ms: number;
  keepAlive: boolean;
}

/**
 * A clock that forwards to another one (a ManualClock, the system clock) and keeps the
 * list of timers armed through it, so a test can tell which timers the pool (and only
 * the pool) left behind: hand this one to the pool and the inner clock to everything else.
 */
export class TrackedClock implements Clock {
  readonly #armed = new Map<object, Armed>();
  /** Timers armed through this clock since it was made. */
  set = 0;

  constructor(readonly inner: Clock) {}

  now(): number {
    return this.inner.now();
  }

  setTimer(fn: () => void, ms: number, keepAlive: boolean): unknown {
    this.set++;
    const token = {};
    const handle = this.inner.setTimer(
      () => {
        this.#armed.delete(token);
        fn();
      },
      ms,
      keepAlive,
    );
    this.#armed.set(token, { handle, at: this.inner.now() + ms, ms, keepAlive });
    return token;
  }

  clearTimer(token: unknown): void {
    const a = this.#armed.get(token as object);
    if (a === undefined) return;
    this.#armed.delete(token as object);
    this.inner.clearTimer(a.handle);
  }

  /** Timers armed and not yet fired or cleared. */
  armed(): Armed[] {
    return [...this.#armed.values()];
  }
}

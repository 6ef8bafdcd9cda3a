import { redactString } from '../../core/util/redact.js';
import { setTimerAtLeast, type Clock } from '../../core/util/clock.js';
import type { Flight } from './flight.js';

/** A response whose body was left unread (paused) longer than `leakDetectionMs`: it holds its connection. */
export interface HttpLeakReport {
  /** The pool's name. */
  pool: string;
  /** The request's method, e.g. `GET`. */
  method: string;
  /** The request's origin, e.g. `https://api.example.com`. */
  origin: string;
  /** The request's path and query, e.g. `/items?page=2`. */
  path: string;
  /** How long the body has been paused (unread), ms. */
  pausedMs: number;
  /** How long since the request was dispatched, ms. */
  heldMs: number;
  /** Where the request was made (the `dispatch` call and its callers). */
  stack: string;
}

/**
 * @internal Leak detection for response bodies: the caller's handler pausing the body
 * (undici's `request` does when its body stream is full and nobody reads it) starts a
 * timer; resuming, finishing or cancelling stops it. A body still paused after
 * `leakDetectionMs` is reported once. A small body that undici buffers whole never
 * pauses: it holds no connection, and is not reported. Off (`0`), it costs nothing.
 */
export class LeakWatch {
  readonly #clock: Clock;
  readonly #ms: number;
  readonly #pool: string;
  readonly #report: (r: HttpLeakReport) => void;

  constructor(clock: Clock, ms: number, pool: string, report: (r: HttpLeakReport) => void) {
    this.#clock = clock;
    this.#ms = ms;
    this.#pool = pool;
    this.#report = report;
  }

  /** Where a request is made, when detection is on: the stack above `above` (lido's `dispatch`), deeper than the default 10 frames. */
  capture(above: Function): Error | null {
    if (this.#ms === 0) return null;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 32;
    try {
      const at = new Error('request made here');
      Error.captureStackTrace(at, above);
      return at;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /** When a request is made, for its report's `heldMs`: the clock is read only while detection is on. */
  stamp(): number {
    return this.#ms === 0 ? 0 : this.#clock.now();
  }

  /** The flight's body was paused (`true`) or resumed / finished (`false`). */
  paused(f: Flight, paused: boolean): void {
    if (this.#ms === 0) return;
    if (!paused) {
      if (f.leakTimer !== null) this.#clock.clearTimer(f.leakTimer);
      f.leakTimer = null;
      return;
    }
    if (f.leakTimer !== null || f.leaked) return;
    const since = this.#clock.now();
    // At least the threshold by this clock, so a report never says less (as the core's detector).
    setTimerAtLeast(
      this.#clock,
      since,
      this.#ms,
      false,
      (h) => (f.leakTimer = h),
      (now) => {
        f.leakTimer = null;
        if (f.done || !f.paused) return;
        f.leaked = true;
        this.#report({
          pool: this.#pool,
          method: f.opts.method,
          origin: f.origin,
          // A query may hold a token (`?access_token=…`): reported without it.
          path: redactString(f.opts.path),
          pausedMs: now - since,
          heldMs: now - f.since,
          stack: (f.stack?.stack ?? '').split('\n').slice(1).join('\n'),
        });
      },
    );
  }
}

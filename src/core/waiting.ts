import type { AcquireOptions } from './acquire-options.js';
import { Waiter } from './containers/waiters.js';
import type { Creator } from './creator.js';
import { AcquireTimeoutError, QueueFullError, describeCounts, ownCreateError, withoutStack } from './errors.js';
import type { Announcer } from './events.js';
import type { WaitHandle } from './internal.js';
import type { LeakDetector } from './leak-detector.js';
import type { Lease } from './lease.js';
import type { Reporter } from './reporting.js';
import type { PoolState } from './state.js';
import { REPLACE, rejectWithCallerFrames } from './util/caller-frames.js';
import { DeadlineTimer } from './util/deadline-timer.js';

/** What {@link Waiting} is made of. */
export interface WaitingOptions<T> {
  state: PoolState<T>;
  /** Read for failFast (is the backend known down?) and for what a timeout says. */
  creator: Creator<T>;
  leaks: LeakDetector<T>;
  report: Reporter<T>;
  events: Announcer<T>;
  /** The supply, which made this queue: matches idle resources to waiters and starts the creates they need. */
  supply: WaitingHost;
}

/** What {@link Waiting} calls back: the pool's supply. */
export interface WaitingHost {
  /** Hands idle resources to waiters and starts creates; `now`: a clock reading just taken, if any. */
  dispatch(now?: number): void;
}

/**
 * @internal The acquires that wait: enqueueing one (with its signal, deadline and leak
 * origin), taking one out (served, aborted, withdrawn, failed), and timing them out. Every
 * waiter's deadline is served by one timer armed at the earliest; the waiters it finds
 * expired are failed as one batch whose errors share their formatting.
 */
export class Waiting<T> {
  readonly #state: PoolState<T>;
  readonly #creator: Creator<T>;
  readonly #leaks: LeakDetector<T>;
  readonly #report: Reporter<T>;
  readonly #events: Announcer<T>;
  readonly #supply: WaitingHost;
  readonly #deadline: DeadlineTimer;
  /** When the last acquire timed out (health looks back at it). */
  lastTimeoutAt = -Infinity;

  constructor(options: WaitingOptions<T>) {
    this.#state = options.state;
    this.#creator = options.creator;
    this.#leaks = options.leaks;
    this.#report = options.report;
    this.#events = options.events;
    this.#supply = options.supply;
    this.#deadline = new DeadlineTimer(options.state.clock, () => this.#timeOut());
  }

  /**
   * Queues an acquire that found nothing to lend at once, or rejects it at once (closed,
   * aborted, queue full, backend known down with failFast). With `handle`, the queued
   * waiter is recorded there (see `PoolInternals.acquireQueued`).
   */
  enqueue(options: AcquireOptions | undefined, handle?: WaitHandle<T>): Promise<Lease<T>> {
    const state = this.#state;
    if (state.closed) return Promise.reject(this.#report.closedError());
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const o = state.options;
    if (state.waiters.length >= o.maxWaiting) {
      state.counters.rejected++;
      // The fast path may just have retired an expired resource: refill `min` all the same.
      this.#supply.dispatch();
      const counts = describeCounts(o.name, this.#report.counts());
      return Promise.reject(
        new QueueFullError(
          `acquire rejected: ${state.waiters.length} already waiting, maxWaiting is ${o.maxWaiting} (${counts})`,
          this.#report.errorOptions(),
        ),
      );
    }
    const now = state.clock.now();
    // failFast: while the backend is known down (inside the backoff window) reject at once;
    // once the window ends, this acquire waits for (and thereby triggers) a probing create.
    const down = this.#creator.lastError;
    if (o.failFast && down !== null && now < this.#creator.until && state.idle.length === 0) {
      // The caller's own copy, made here: its stack shows the caller (while the budget lasts).
      return Promise.reject(state.frames.take(now) ? ownCreateError(down) : down);
    }
    const timeoutMs = options?.timeoutMs ?? o.acquireTimeoutMs;
    // Captured here, not in the executor: two frames fewer of lido, one more of the caller's.
    const origin = this.#leaks.origin();
    const w = new Waiter<T>(now, timeoutMs);
    // The executor only takes the resolving functions: with the rest inside it, it closed
    // over all of this method's locals, and V8 allocated a context for them per waiter
    // (docs/performance.md, "The waiting acquire's promise").
    const promise = new Promise<Lease<T>>((resolve, reject) => {
      w.resolve = resolve;
      w.reject = reject;
    });
    try {
      if (origin !== null) w.withExtra().origin = origin;
      if (handle !== undefined) handle.waiter = w;
      if (signal !== undefined) {
        const x = w.withExtra();
        x.signal = signal;
        x.onAbort = this.#abortListener(w, signal);
        signal.addEventListener('abort', x.onAbort, { once: true });
      }
      state.waiters.push(w);
      if (timeoutMs !== Infinity) this.#deadline.arm(now + timeoutMs, now);
      this.#supply.dispatch(now);
    } catch (e) {
      // As when all this ran in the executor: a throw (a signal's addEventListener, a
      // clock's setTimer) rejects the acquire instead of escaping from it.
      w.reject(e);
    }
    return promise;
  }

  /** The oldest waiter, taken out of the queue to be served, or null when nobody waits. */
  next(): Waiter<T> | null {
    const w = this.#state.waiters.shift();
    if (w !== null) this.#left(w);
    return w;
  }

  /** Rejects a still-queued waiter with `reason`, counted as aborted; false when it already left. */
  withdraw(w: Waiter<T>, reason: unknown): boolean {
    if (!w.queued) return false;
    this.#state.waiters.remove(w);
    this.#state.counters.aborted++;
    this.#fail(w, reason);
    return true;
  }

  /**
   * Rejects every waiter with `error` (close; failFast after a failed create): while the
   * budget lasts, each with its own copy (`own()`) carrying its caller's frames.
   */
  failAll(error: unknown, own: () => unknown): void {
    const now = this.#state.clock.now();
    for (const w of this.#state.waiters.drain()) this.#failAway(w, error, now, own);
  }

  /** No more deadlines (close). */
  stop(): void {
    this.#deadline.clear();
  }

  /** How long the oldest waiter has waited, or 0. */
  oldestWaitMs(now: number): number {
    const oldest = this.#state.waiters.peek();
    return oldest === null ? 0 : now - oldest.enqueuedAt;
  }

  #fail(w: Waiter<T>, error: unknown): void {
    this.#left(w);
    w.reject(error);
  }

  /**
   * Rejects a waiter with an error raised away from its caller (a timer, a failed create, a
   * close): through a reaction job on its caller's chain, so that the error carries the
   * caller's async frames, while the pool's budget lasts (`own()`: the waiter's own copy of
   * an error shared by many); else as it is. An abort or a withdraw never comes here: its
   * reason is the caller's own object.
   */
  #failAway(w: Waiter<T>, error: unknown, now: number, own?: () => unknown): void {
    this.#left(w);
    if (this.#state.frames.take(now))
      rejectWithCallerFrames(w.resolve as (v: unknown) => void, own === undefined ? error : own(), REPLACE);
    else w.reject(error);
  }

  /** Detaches a waiter that left the queue; disarms the deadline timer once nobody waits. */
  #left(w: Waiter<T>): void {
    const x = w.extra;
    if (x !== null && x.signal !== null) x.signal.removeEventListener('abort', x.onAbort!);
    if (this.#state.waiters.length === 0) this.#deadline.clear();
  }

  /**
   * The abort listener of a waiting acquire. Made here, not in `enqueue`: a closure there
   * would make every enqueue allocate a context for its locals.
   */
  #abortListener(w: Waiter<T>, signal: AbortSignal): () => void {
    return () => {
      if (!w.queued) return;
      this.#state.waiters.remove(w);
      this.#state.counters.aborted++;
      // The listener was added with `once`: Node already removed it, no need to walk the list again.
      if (this.#state.waiters.length === 0) this.#deadline.clear();
      w.reject(signal.reason);
    };
  }

  /** The deadline timer fired: times out every waiter whose deadline passed. */
  #timeOut(): void {
    const state = this.#state;
    const now = state.clock.now();
    const counts = this.#report.counts();
    const expired = state.waiters.takeExpired(now);
    if (expired.length > 0) {
      this.lastTimeoutAt = now;
      state.counters.timeouts += expired.length;
      state.rates.timedOut(now, expired.length);
      const cause = this.#creator.lastError?.cause;
      let why =
        cause === undefined ? '' : `; last create error: ${cause instanceof Error ? cause.message : String(cause)}`;
      const pendingMs = this.#creator.oldestPendingMs(now);
      if (pendingMs > 0) why += `; a create has been pending for ${Math.round(pendingMs)} ms`;
      // What the errors of one batch share is formatted once: counts, cause, and the message
      // per timeout value (usually one). Each waiter still gets its own error object.
      const shared = ` ms (${describeCounts(state.options.name, counts)})${why}`;
      const options = { ...this.#report.errorOptions(counts), cause };
      // Built all at once, before any listener runs: user code never sees the limit at 0.
      const errors = withoutStack(() => {
        const out: AcquireTimeoutError[] = new Array(expired.length);
        let messageFor = NaN;
        let message = '';
        for (let i = 0; i < expired.length; i++) {
          const ms = expired[i].timeoutMs;
          if (ms !== messageFor) message = `acquire timed out after ${(messageFor = ms)}${shared}`;
          out[i] = new AcquireTimeoutError(message, options);
        }
        return out;
      });
      for (let i = 0; i < expired.length; i++) {
        this.#failAway(expired[i], errors[i], now);
        this.#events.timedOut(errors[i]);
      }
    }
    const next = state.waiters.nextDeadline();
    if (next !== Infinity) this.#deadline.arm(next, now);
  }
}

import { Checks, type ChecksHost } from './checks.js';
import { Slot, SlotState } from './containers/slot.js';
import type { Creator } from './creator.js';
import type { Deadlines } from './deadlines.js';
import { CreateError, ownCreateError, withoutStack } from './errors.js';
import type { Announcer } from './events.js';
import type { LeaseOwner } from './internal.js';
import type { LeakDetector } from './leak-detector.js';
import { Lease } from './lease.js';
import { EffectiveLimit } from './limit.js';
import type { Reporter } from './reporting.js';
import type { Retirement } from './retirement.js';
import type { PoolState } from './state.js';
import { Waiting, type WaitingHost } from './waiting.js';

/** What a {@link Supply} is made of. */
export interface SupplyOptions<T> {
  state: PoolState<T>;
  /** The pool: the owner of every lease. */
  owner: LeaseOwner<T>;
  retirement: Retirement<T>;
  deadlines: Deadlines<T>;
  creator: Creator<T>;
  leaks: LeakDetector<T>;
  report: Reporter<T>;
  events: Announcer<T>;
  /** A create or check ended: `close()` may be waiting for it. */
  ended: () => void;
}

/**
 * @internal Where resources go: lending an idle one on the spot (the one idle fast path of
 * `acquire()`, `use()` and `PoolInternals.tryAcquire`), handing one that became available
 * to the oldest waiter or back to idle, matching idle resources to waiters and starting
 * the creates that waiters and `min` need, and taking in what a create made. It makes the
 * two parts that call back into it on the hot path, {@link Waiting} and {@link Checks},
 * and hands itself to them.
 */
export class Supply<T> implements WaitingHost, ChecksHost<T> {
  /** The acquires that wait. */
  readonly waiting: Waiting<T>;
  /** Validate and reset. */
  readonly checks: Checks<T>;
  readonly #state: PoolState<T>;
  readonly #owner: LeaseOwner<T>;
  readonly #retirement: Retirement<T>;
  readonly #deadlines: Deadlines<T>;
  readonly #creator: Creator<T>;
  readonly #leaks: LeakDetector<T>;
  readonly #report: Reporter<T>;
  readonly #events: Announcer<T>;
  readonly #ended: () => void;
  /** Callers of `ready()` waiting for `min` resources. */
  #readyCallers: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** The effective limit: what resize or autoSize asked, `max` and the budget's cap. */
  readonly limit: EffectiveLimit;

  constructor(options: SupplyOptions<T>) {
    this.#state = options.state;
    this.#owner = options.owner;
    this.#retirement = options.retirement;
    this.#deadlines = options.deadlines;
    this.#creator = options.creator;
    this.#leaks = options.leaks;
    this.#report = options.report;
    this.#events = options.events;
    this.#ended = options.ended;
    const { state, creator, leaks, report, events, retirement, ended } = options;
    this.waiting = new Waiting<T>({ state, creator, leaks, report, events, supply: this });
    this.checks = new Checks<T>({ state, retirement, report, supply: this, ended });
    this.limit = new EffectiveLimit(state, retirement, () => this.dispatch());
  }

  /**
   * The idle fast path: lends the next idle resource when nobody waits and it is fit to
   * lend now, and returns its slot (`slot.gen` is the lease's generation). Null when
   * nothing idle can be lent now: the caller waits in line, which also refills `min` (an
   * unfit resource went to its check or was retired).
   */
  lendIdle(): Slot<T> | null {
    const state = this.#state;
    if (state.waiters.length > 0 || state.closed) return null;
    const s = state.idle.take();
    if (s === null) return null;
    const now = state.clock.now();
    if (!this.#fitToLend(s, now)) return null;
    this.#lend(s, now, now, null, false);
    return s;
  }

  /** The lease of a slot just lent. */
  lease(s: Slot<T>): Lease<T> {
    const lease = new Lease<T>(this.#owner, s, s.gen);
    this.#leaks.leased(lease, s);
    return lease;
  }

  /**
   * A resource became available: the oldest waiter gets it, else it goes idle. `listed`:
   * it comes straight from a release and is still in the borrowed list.
   */
  handOff(s: Slot<T>, now: number, listed = false): void {
    const state = this.#state;
    if (state.closed || state.live > state.limit) {
      if (listed) state.borrowed.remove(s);
      // It may come straight from the idle list (dispatch): out of it already, whatever its state says.
      s.state = SlotState.Checking;
      if (state.closed) this.#retirement.destroy(s, 'closed', 'pool closed');
      else this.#retirement.destroy(s, 'shrink', 'pool resized');
      this.dispatch();
      return;
    }
    const w = this.waiting.next();
    if (w !== null) {
      this.#lend(s, now, w.enqueuedAt, w.origin, listed);
      w.resolve(this.lease(s));
      return;
    }
    if (listed) state.borrowed.remove(s);
    s.idleSince = now;
    this.idleAgain(s, now);
    this.#readyIfMin();
  }

  /** Puts a slot (out of every list) back in the idle list, with its deadlines. */
  idleAgain(s: Slot<T>, now: number): void {
    s.state = SlotState.Idle;
    this.#state.idle.push(s);
    this.#deadlines.idled(s, now);
  }

  /** Matches idle resources to waiters, then starts the creates that waiters and `min` need. */
  dispatch(now?: number): void {
    const state = this.#state;
    const creator = this.#creator;
    const o = state.options;
    // What counts against the limit: live, being created, and closing (still open on the backend).
    const closing = this.#retirement.closing;
    // Nothing idle to hand out and no room to create: nothing to do (the usual case under
    // contention), and no clock read for it.
    if (state.closed || (state.idle.length === 0 && state.live + creator.creating + closing >= state.limit)) return;
    // A caller that just read the clock passes its reading: one read less per enqueue.
    if (now === undefined) now = state.clock.now();
    while (state.waiters.length > state.checking && state.idle.length > 0) {
      const s = state.idle.take()!;
      if (this.#fitToLend(s, now)) this.handOff(s, now);
    }
    if (now < creator.until) return;
    while (
      creator.creating < o.maxConcurrentCreates &&
      state.live + creator.creating + closing < state.limit &&
      (state.waiters.length > state.checking + creator.creating ||
        // `min` is filled while kept (keepMin), or while a ready() waits for it.
        ((o.keepMin || this.#readyCallers.length > 0) && state.live + creator.creating < o.min))
    ) {
      creator.start();
    }
  }

  /** See {@link PoolInternals.createFailureHandled}: no backoff before the next create. */
  createFailureHandled(): void {
    this.#creator.forgive();
    this.dispatch();
  }

  /** A create succeeded after starting at `startedAt`: the new resource is handed on. */
  created(resource: T, startedAt: number): void {
    const state = this.#state;
    const now = state.clock.now();
    state.counters.created++;
    state.rates.created(now);
    state.counters.createTime.record(now - startedAt);
    const life = state.options.maxLifetimeMs;
    // Up to 10 % earlier at random, so resources created together do not all retire together.
    const expiresAt = life === 0 ? Infinity : now + life * (1 - 0.1 * state.options.random());
    const s = new Slot<T>(resource, now, expiresAt);
    if (++state.live > state.options.min) this.#deadlines.floorLifted();
    this.#events.created(resource, now - startedAt);
    if (state.factory.watch !== undefined) this.#retirement.watch(s);
    if (s.broken !== undefined) {
      // Dead on arrival (the adapter evicted it while we started watching it): a failed
      // create, with backoff, or a backend that kills every connection would make us spin.
      const cause = s.broken;
      this.#retirement.destroy(s, 'error', cause);
      const why = cause instanceof Error ? cause.message : String(cause);
      this.createFailed(
        new CreateError(`create failed: the resource was reported dead as soon as it was created (${why})`, {
          ...this.#report.errorOptions(),
          cause,
        }),
        now,
      );
      return;
    }
    this.#creator.succeeded();
    this.handOff(s, now);
    this.#readyIfMin();
    this.dispatch();
    this.#ended();
  }

  /** A create failed: back off, tell `ready()` (and, with failFast, the waiters). */
  createFailed(error: CreateError, now: number): void {
    const state = this.#state;
    if (state.closed) {
      this.#ended();
      return;
    }
    state.counters.createErrors++;
    state.rates.createFailed(now);
    this.#creator.fail(error, now);
    this.#report.failure(error, 'create');
    if (state.live < state.options.min) this.rejectReady(error);
    if (state.options.failFast) this.waiting.failAll(error, () => withoutStack(() => ownCreateError(error)));
  }

  /** A create got its budget permit after waiting: still needed (waiters beyond checks and creates with permits, or `min`)? */
  wantsCreate(): boolean {
    const { closed, waiters, checking, live, options: o } = this.#state;
    const covered = checking + this.#creator.withPermit;
    if (closed) return false;
    return (
      waiters.length > covered || ((o.keepMin || this.#readyCallers.length > 0) && live + covered - checking < o.min)
    );
  }

  /** Resolves once `min` resources exist; rejects with the create error if creating them fails. */
  ready(): Promise<void> {
    const state = this.#state;
    if (state.live >= state.options.min) return Promise.resolve();
    const failed = this.#creator.lastError;
    if (failed !== null) return Promise.reject(failed);
    return new Promise((resolve, reject) => {
      this.#readyCallers.push({ resolve, reject });
      this.dispatch();
    });
  }

  /** Rejects every caller of `ready()` (a create failed, or the pool closed). */
  rejectReady(error: unknown): void {
    for (const r of this.#readyCallers.splice(0)) r.reject(error);
  }

  #readyIfMin(): void {
    if (this.#readyCallers.length > 0 && this.#state.live >= this.#state.options.min) {
      for (const r of this.#readyCallers.splice(0)) r.resolve();
    }
  }

  /** Is an idle slot, just taken out of the idle list, fit to lend now? If not, starts its check or destroys it. */
  #fitToLend(s: Slot<T>, now: number): boolean {
    if (now > this.#deadlines.thawCheckAt) {
      this.#deadlines.thawedAt(now, s);
      return false;
    }
    if (now >= s.expiresAt) {
      // Already taken out of the idle list: it must not be unlinked from it a second time.
      s.state = SlotState.Checking;
      this.#retirement.destroy(s, 'lifetime', 'max lifetime reached');
      return false;
    }
    if (this.#state.hasValidate && now - s.lastGood > this.#state.validateAfterIdleMs) {
      this.checks.validate(s, false);
      return false;
    }
    return true;
  }

  /**
   * Lends `s` (waiting since `since`; `origin`: where a waiting acquire was called) and bumps
   * its generation, which its lease carries. `listed`: it is still in the borrowed list
   * (straight from a release).
   */
  #lend(s: Slot<T>, now: number, since: number, origin: Error | null, listed: boolean): void {
    const state = this.#state;
    s.state = SlotState.Borrowed;
    s.gen++;
    s.uses++;
    s.borrowedAt = now;
    if (!listed) state.borrowed.push(s);
    const lent = ++state.leasesOut;
    const c = state.counters;
    c.acquired++;
    state.rates.acquired(now);
    if (now === since) c.waitTime.recordZero();
    else c.waitTime.record(now - since);
    if (lent > c.peakBorrowed) c.peakBorrowed = lent;
    this.#leaks.borrowed(s, now, origin);
    if (this.#events.hearsAcquire) this.#events.acquired(s.resource);
  }
}

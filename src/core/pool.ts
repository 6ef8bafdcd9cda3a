import { advise, type Advice } from '../stats/advice.js';
import { bounded } from './util/bounded.js';
import type { Clock } from './util/clock.js';
import { Creator } from './creator.js';
import { DeadlineTimer } from './util/deadline-timer.js';
import {
  publishCreate,
  publishDestroy,
  publishLeak,
  publishRelease,
  publishTimeout,
  traceAcquire,
  tracingAcquire,
} from '../stats/diagnostics.js';
import { drain, type CloseOptions, type CloseReport } from './drain.js';
import {
  AcquireTimeoutError,
  CreateError,
  PoolClosedError,
  PoolError,
  PoolOptionsError,
  QueueFullError,
  ValidationError,
  describeCounts,
  withoutStack,
  type PoolCounts,
  type PoolPhase,
} from './errors.js';
import type { Factory } from './factory.js';
import { PoolEmitter } from './events.js';
import { health, type Health } from '../stats/health.js';
import { Housekeeper, noSweeper, type Housekept, type Sweeper } from './housekeeper.js';
import { IdleList } from './containers/idle-list.js';
import { kRelease, type LeaseOwner, type PoolInternals, type QueuedAcquire, type WaitHandle } from './internal.js';
import { ActiveLeakDetector, NoLeakDetector, type LeakDetector, type LeakReport } from './leak-detector.js';
import { Lease } from './lease.js';
import { checkAcquire, type AcquireOptions } from './acquire-options.js';
import {
  checkDuration,
  checkInt,
  describe,
  resolveOptions,
  type PoolOptions,
  type ResolvedOptions,
} from './options.js';
import { Slot, SlotList, SlotState } from './containers/slot.js';
import { Counters, type PoolStats } from '../stats/counters.js';
import { Waiter, WaiterQueue } from './containers/waiters.js';

export type { CloseOptions, CloseReport } from './drain.js';
export type { PoolEvents } from './events.js';

const noop = (): void => {};

let internalsOf: <T>(pool: Pool<T>) => PoolInternals<T>;

/**
 * @internal A pool's {@link PoolInternals}: the core's one internal interface for the
 * adapters and `KeyedPool` (not exported from any package entry point).
 */
export function poolInternals<T>(pool: Pool<T>): PoolInternals<T> {
  return internalsOf(pool);
}

/**
 * A generic resource pool. It owns every policy (sizing, timeouts, validation, lifetime,
 * backoff, leak detection, drain); a {@link Factory} says how to make one resource.
 */
export class Pool<T> extends PoolEmitter<T> implements AsyncDisposable, LeaseOwner<T> {
  readonly #o: ResolvedOptions<T>;
  readonly #f: Factory<T>;
  readonly #clock: Clock;
  readonly #idle: IdleList<T>;
  /**
   * The slots of leases out, plus (for the length of a synchronous release) the one being
   * returned: a resource that goes straight to the next waiter stays linked, and only the
   * other ways out unlink it (see [kRelease]). Counts come from `#lent`.
   */
  readonly #borrowed = new SlotList<T>();
  /** Leases out: what stats call `borrowed`. */
  #lent = 0;
  readonly #waiters = new WaiterQueue<T>();
  readonly #counters: Counters;
  readonly #creator: Creator<T>;
  readonly #leaks: LeakDetector<T>;
  readonly #sweeper: Sweeper;
  #live = 0;
  #checking = 0;
  #destroying = 0;
  #closed = false;
  #closing: Promise<CloseReport> | null = null;
  #onSettle: (() => void) | null = null;
  readonly #deadline: DeadlineTimer;
  #readyWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #lastTimeoutAt = -Infinity;
  #lastLeakAt = -Infinity;
  /** See {@link poolInternals}; made on first use. */
  #internals: PoolInternals<T> | null = null;
  // Hot-path copies of options: one field read instead of two.
  #validateAfterIdleMs: number;
  #hasValidate: boolean;
  #hasReset: boolean;

  /**
   * One pool held by the class for as long as lido is loaded: made with the default options,
   * closed at once (no timer, no resource, nothing counted anywhere). V8 keeps an object's
   * hidden class alive only through the objects that have it; when every pool of a process
   * is gone at a full GC (a test file's pools, a `KeyedPool` whose keys all went idle, the
   * benchmark's rounds), the next pool's parts (options, lists, queue, counters, histograms,
   * creator, timers) get new hidden classes, and the shared hot path, seeing more and more of
   * them, ends up with megamorphic property accesses for good: 2.5× slower per cycle after
   * a few such rounds. Held, the classes stay the same ones. See docs/performance.md,
   * "Surviving a full GC" (the same reason as `Waiter`'s and `Lease`'s held instances).
   */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: held only to keep the class's hidden class alive
  static readonly #held = Pool.#hold();

  static #hold(): Pool<unknown> {
    const pool = new Pool<unknown>({ name: 'lido (held)', factory: { create: async () => null, destroy: noop } });
    // A histogram's sum and max start as small integers and become fractional with the first
    // duration recorded: V8 then gives histograms a new hidden class, which only the live
    // pools' histograms would hold. Recorded here first, the held one holds it.
    pool.#counters.waitTime.record(0.5);
    void pool.close();
    return pool;
  }

  /** Creates a pool; `min` resources start being created on the next tick. Options are validated at once. */
  constructor(options: PoolOptions<T>) {
    super();
    const o = (this.#o = resolveOptions(options));
    this.#f = o.factory;
    this.#clock = o.clock;
    this.#idle = new IdleList<T>(o.order);
    this.#counters = new Counters(o.clock.now());
    this.#deadline = new DeadlineTimer(o.clock, () => this.#onDeadline());
    this.#creator = new Creator<T>(o.factory, o.clock, o.name, o.createTimeoutMs, o.createRetry, o.random, {
      created: (resource, started) => this.#created(resource, started),
      failed: (error) => this.#createFailure(error, this.#clock.now()),
      stray: (resource) => this.#destroyStray(resource),
      retry: () => this.#dispatch(),
      // A create or retry for `min` alone (nobody waiting) must not keep an idle process alive.
      keepAlive: () => this.#waiters.length > 0 || !o.allowExitOnIdle,
      errorOptions: () => this.#errorOptions(),
    });
    // 0 means "always": idle time is never negative, so `> -1` always holds.
    this.#validateAfterIdleMs = o.validateAfterIdleMs === 0 ? -1 : o.validateAfterIdleMs;
    this.#hasValidate = typeof o.factory.validate === 'function';
    this.#hasReset = typeof o.factory.reset === 'function';
    this.#leaks =
      o.leakDetectionMs > 0
        ? new ActiveLeakDetector<T>(
            o.name,
            o.leakDetectionMs,
            o.clock,
            (r, first) => this.#onLeak(r, first),
            (s, gen) =>
              this[kRelease](
                s,
                gen,
                true,
                new PoolError('lease was garbage-collected without release', 'ERR_POOL_LEAK'),
              ),
          )
        : new NoLeakDetector<T>();
    const period = Housekeeper.period(o.idleTimeoutMs, o.maxLifetimeMs, o.keepaliveMs);
    this.#sweeper =
      period === Infinity
        ? noSweeper
        : new Housekeeper<T>(this.#housekept(), o.clock, period, o.idleTimeoutMs, o.keepaliveMs, !o.allowExitOnIdle);
    this.#sweeper.start();
    // Start filling `min` after the constructor returns, so listeners can be attached first.
    if (o.min > 0) queueMicrotask(() => this.#dispatch());
  }

  /** The pool's name (option `name`). */
  get name(): string {
    return this.#o.name;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once `min` resources exist; rejects with a `CreateError` if creating them fails. */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#live >= this.#o.min) return Promise.resolve();
    const failed = this.#creator.lastError;
    if (failed !== null) return Promise.reject(failed);
    return new Promise((resolve, reject) => {
      this.#readyWaiters.push({ resolve, reject });
      this.#dispatch();
    });
  }

  /**
   * Borrows a resource. Resolves with a {@link Lease} to release (or `await using`);
   * rejects with `AcquireTimeoutError`, `QueueFullError`, `PoolClosedError`, a `CreateError`
   * (with `failFast`), or the signal's reason when aborted.
   */
  acquire(options?: AcquireOptions): Promise<Lease<T>> {
    if (tracingAcquire()) return traceAcquire(this, options, this.#clock, () => this.#acquire(options));
    return this.#acquire(options);
  }

  #acquire(options: AcquireOptions | undefined, handle?: WaitHandle<T>): Promise<Lease<T>> {
    if (options !== undefined) {
      checkAcquire(options);
      if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    }
    if (this.#waiters.length === 0 && !this.#closed) {
      const s = this.#idle.take();
      if (s !== null) {
        const now = this.#clock.now();
        if (this.#usable(s, now)) return Promise.resolve(this.#lease(s, now, now, null, false));
      }
    }
    return this.#enqueue(options, handle);
  }

  /** See {@link PoolInternals.acquireQueued}. */
  #acquireQueued(handle: WaitHandle<T>): Promise<Lease<T>> {
    if (tracingAcquire()) return traceAcquire(this, undefined, this.#clock, () => this.#acquire(undefined, handle));
    return this.#acquire(undefined, handle);
  }

  /** See {@link PoolInternals.withdraw}. */
  #withdraw(w: QueuedAcquire<T>, reason: unknown): boolean {
    if (!w.queued) return false;
    this.#waiters.remove(w);
    this.#counters.aborted++;
    this.#settleWaiter(w);
    w.reject(reason);
    return true;
  }

  /** See {@link PoolInternals.tryAcquire}: the fast path of `acquire()` without its promise. */
  #tryAcquire(): Lease<T> | null {
    // While a tracer listens on lido:pool:acquire, every borrow goes through acquire().
    if (this.#waiters.length > 0 || this.#closed || tracingAcquire()) return null;
    const s = this.#idle.take();
    if (s === null) return null;
    const now = this.#clock.now();
    // An unusable one went to its check (or was destroyed): the caller's acquire() waits, as acquire's own would.
    return this.#usable(s, now) ? this.#lease(s, now, now, null, false) : null;
  }

  /** This pool's {@link PoolInternals}, made on first use. */
  #internalsView(): PoolInternals<T> {
    return (this.#internals ??= {
      tryAcquire: () => this.#tryAcquire(),
      acquireQueued: (handle) => this.#acquireQueued(handle),
      withdraw: (waiter, reason) => this.#withdraw(waiter, reason),
    });
  }

  static {
    internalsOf = (pool) => pool.#internalsView();
  }

  /**
   * Runs `fn` with a borrowed resource and always releases it, even when `fn` throws.
   * After a throw, `factory.isBroken(error, resource)` decides whether to destroy it.
   */
  use<R>(fn: (resource: T) => R | PromiseLike<R>, options?: AcquireOptions): Promise<Awaited<R>> {
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`use: expected a function, got ${typeof fn}`));
    // While a tracer listens on lido:pool:acquire, every borrow goes through acquire().
    if (options === undefined && this.#waiters.length === 0 && !this.#closed && !tracingAcquire()) {
      const s = this.#idle.take();
      if (s !== null) {
        const now = this.#clock.now();
        if (this.#usable(s, now)) {
          const gen = ++s.gen;
          this.#lend(s, now, now, null, null, false);
          return this.#run(fn, s.resource, (broken, error) => this[kRelease](s, gen, broken, error));
        }
        // Being validated, or just retired: wait in line as acquire() does, which also
        // refills `min` (acquire()'s own fast path could take another idle one and skip that).
        return this.#enqueue(undefined).then((lease) => this.#useLease(fn, lease));
      }
    }
    return this.acquire(options).then((lease) => this.#useLease(fn, lease));
  }

  #useLease<R>(fn: (resource: T) => R | PromiseLike<R>, lease: Lease<T>): Promise<Awaited<R>> {
    return this.#run(fn, lease.resource, (broken, error) => (broken ? lease.destroy(error) : lease.release()));
  }

  /** Returns a lease's resource: the same as `lease.release()`, refusing a lease of another pool. */
  release(lease: Lease<T>): void {
    this.#own(lease, 'release').release();
  }

  /** Discards a lease's resource: the same as `lease.destroy(reason)`, refusing a lease of another pool. */
  destroy(lease: Lease<T>, reason?: unknown): void {
    this.#own(lease, 'destroy').destroy(reason);
  }

  /**
   * Destroys up to `n` idle resources now, least recently used first, and returns how
   * many went. For callers that need room elsewhere (a keyed pool under a global cap);
   * `min` is refilled afterwards as usual.
   */
  evictIdle(n = 1): number {
    checkInt('evictIdle n', n, 0, true);
    let evicted = 0;
    for (const s of this.#idle.toArray()) {
      if (evicted >= n) break;
      // A 'destroy' listener may have borrowed one of the snapshot meanwhile.
      if (s.state !== SlotState.Idle) continue;
      this.#destroy(s, 'evicted');
      evicted++;
    }
    if (evicted > 0) this.#dispatch();
    return evicted;
  }

  /** Changes `min` and/or `max` at run time; excess idle resources go at once, borrowed ones on release. */
  resize(sizes: { min?: number; max?: number }): void {
    if (sizes === null || typeof sizes !== 'object')
      throw new PoolOptionsError(`resize: expected { min?, max? }, got ${describe(sizes)}`);
    const max = sizes.max === undefined ? this.#o.max : checkInt('max', sizes.max, 1);
    const min = sizes.min === undefined ? Math.min(this.#o.min, max) : checkInt('min', sizes.min, 0);
    if (min > max) throw new PoolOptionsError(`min: expected at most max (${max}), got ${min}`);
    this.#o.min = min;
    this.#o.max = max;
    for (const s of this.#idle.toArray()) {
      if (this.#live <= max) break;
      if (s.state !== SlotState.Idle) continue; // borrowed meanwhile by a 'destroy' listener
      this.#destroy(s, 'pool resized');
    }
    this.#dispatch();
  }

  /** A snapshot of counts, counters and latency histograms. */
  stats(): PoolStats {
    const c = this.#counters;
    return {
      name: this.#o.name,
      size: this.#live + this.#creator.creating,
      idle: this.#idle.length,
      borrowed: this.#lent,
      pending: this.#waiters.length,
      creating: this.#creator.creating,
      checking: this.#checking,
      min: this.#o.min,
      max: this.#o.max,
      peakBorrowed: c.peakBorrowed,
      created: c.created,
      destroyed: c.destroyed,
      acquired: c.acquired,
      released: c.released,
      timeouts: c.timeouts,
      createErrors: c.createErrors,
      validationFailures: c.validationFailures,
      resetFailures: c.resetFailures,
      leaks: c.leaks,
      rejected: c.rejected,
      aborted: c.aborted,
      waitTime: c.waitTime.summary(),
      useTime: c.useTime.summary(),
      createTime: c.createTime.summary(),
      sinceMs: this.#clock.now() - c.since,
    };
  }

  /** Zeroes the counters and histograms (counts of live resources are kept). */
  resetStats(): void {
    this.#counters.reset(this.#clock.now(), this.#lent);
  }

  /** `ok`, `degraded` (waits, timeouts, leaks) or `down` (creates failing, nothing idle), with reasons. */
  health(): Health {
    const now = this.#clock.now();
    const oldest = this.#waiters.peek();
    return health({
      stats: this.stats(),
      closed: this.#closed,
      createFailures: this.#creator.failures,
      lastCreateError: this.#creator.lastError,
      oldestWaitMs: oldest === null ? 0 : now - oldest.enqueuedAt,
      sinceTimeoutMs: now - this.#lastTimeoutAt,
      sinceLeakMs: now - this.#lastLeakAt,
      acquireTimeoutMs: this.#o.acquireTimeoutMs,
    });
  }

  /** Recommendations from what was observed since the last `resetStats()`. */
  advise(): Advice[] {
    return advise(this.stats(), this.#o);
  }

  /** The effective options (the factory is shown by its hook names only). */
  config(): Record<string, unknown> {
    const { factory, clock, random, fromEnv, ...rest } = this.#o;
    // Hook names, looked up (not listed with Object.keys) so class-based factories show theirs too.
    const hooks = ['create', 'destroy', 'validate', 'reset', 'watch', 'isBroken'] as const;
    return { ...rest, factory: hooks.filter((k) => typeof factory[k] === 'function'), ...(fromEnv && { fromEnv }) };
  }

  /**
   * Closes the pool: acquires reject with `PoolClosedError`, waiters reject at once,
   * idle resources are destroyed, borrowed ones are awaited up to `timeoutMs` and then
   * destroyed. Every resource is destroyed exactly once. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    if (this.#closing !== null) return this.#closing;
    const timeoutMs = checkDuration('close timeoutMs', options?.timeoutMs ?? 30_000, false, true);
    this.#closed = true;
    this.#sweeper.stop();
    this.#deadline.clear();
    const closedError = this.#closedError();
    for (const w of this.#waiters.drain()) this.#fail(w, closedError);
    for (const r of this.#readyWaiters.splice(0)) r.reject(closedError);
    this.#creator.abortAll(closedError);
    for (const s of this.#idle.toArray()) this.#destroy(s, 'pool closed');
    const { done, check } = drain(
      {
        busy: () => this.#lent + this.#checking + this.#creator.creating + this.#destroying,
        destroying: () => this.#destroying,
        force: () => this.#forceReturn(timeoutMs),
      },
      this.#clock,
      timeoutMs,
    );
    this.#onSettle = check;
    this.#closing = done.finally(() => (this.#onSettle = null));
    check();
    return this.#closing;
  }

  /** The close timeout ran out: destroys the resources of leases still held and says so. */
  #forceReturn(timeoutMs: number): number {
    // Oldest first: a slot handed from one lease to the next keeps its place in the list.
    const outstanding = this.#borrowed.toArray().sort((a, b) => a.borrowedAt - b.borrowedAt);
    for (const s of outstanding)
      this.#destroy(
        s,
        new PoolClosedError(`lease still held ${timeoutMs} ms after close(); resource destroyed`, {
          pool: this.#o.name,
        }),
      );
    if (outstanding.length > 0) {
      process.emitWarning(
        `lido: pool "${this.#o.name}" closed with ${outstanding.length} lease(s) still held after ${timeoutMs} ms; their resources were destroyed`,
        { code: 'LIDO_CLOSE_FORCED' },
      );
    }
    return outstanding.length;
  }

  /** `await using pool = new Pool(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal Called by leases. */
  [kRelease](s: Slot<T>, gen: number, destroy: boolean, reason: unknown): boolean {
    if (s.gen !== gen || s.state !== SlotState.Borrowed) return false;
    // Still linked in #borrowed: if it goes straight to a waiter (#handOff), it stays there
    // instead of being unlinked and linked again; every other way out unlinks it.
    this.#lent--;
    s.state = SlotState.Checking;
    const now = this.#clock.now();
    this.#leaks.returned(s, now);
    this.#counters.released++;
    this.#counters.useTime.record(now - s.borrowedAt);
    if (this.hearsRelease) this.emitSafe('release', s.resource);
    publishRelease(this, s.resource, now - s.borrowedAt);
    if (destroy || s.broken !== undefined) {
      this.#borrowed.remove(s);
      this.#destroy(s, destroy ? reason : s.broken);
    } else if (this.#closed || s.uses >= this.#o.maxUses || now >= s.expiresAt || this.#live > this.#o.max) {
      this.#borrowed.remove(s);
      this.#destroy(
        s,
        this.#closed
          ? 'pool closed'
          : s.uses >= this.#o.maxUses
            ? 'max uses reached'
            : now >= s.expiresAt
              ? 'max lifetime reached'
              : 'pool resized',
      );
    } else if (this.#hasReset) {
      this.#borrowed.remove(s);
      this.#reset(s, now);
      return true;
    } else {
      s.lastGood = now;
      this.#handOff(s, now, true);
      return true;
    }
    this.#dispatch();
    return true;
  }

  // ---- hand-out ------------------------------------------------------------------

  /** Is an idle slot fit to lend right now? If not, starts its check or destroys it. */
  #usable(s: Slot<T>, now: number): boolean {
    if (now >= s.expiresAt) {
      // Already taken out of the idle list: it must not be unlinked from it a second time.
      s.state = SlotState.Checking;
      this.#destroy(s, 'max lifetime reached');
      return false;
    }
    if (this.#hasValidate && now - s.lastGood > this.#validateAfterIdleMs) {
      this.#validate(s, false);
      return false;
    }
    return true;
  }

  /** Lends `s`; `listed`: it is still in #borrowed (straight from a release). */
  #lend(s: Slot<T>, now: number, since: number, lease: Lease<T> | null, origin: Error | null, listed: boolean): void {
    s.state = SlotState.Borrowed;
    s.uses++;
    s.borrowedAt = now;
    if (!listed) this.#borrowed.push(s);
    const lent = ++this.#lent;
    const c = this.#counters;
    c.acquired++;
    if (now === since) c.waitTime.recordZero();
    else c.waitTime.record(now - since);
    if (lent > c.peakBorrowed) c.peakBorrowed = lent;
    this.#leaks.borrowed(s, lease, now, origin);
    if (this.hearsAcquire) this.emitSafe('acquire', s.resource);
  }

  #lease(s: Slot<T>, now: number, since: number, origin: Error | null, listed: boolean): Lease<T> {
    const lease = new Lease<T>(this, s, ++s.gen);
    this.#lend(s, now, since, lease, origin, listed);
    return lease;
  }

  /** Calls `fn` and gives the resource back when it settles, however it settles. */
  #run<R>(
    fn: (resource: T) => R | PromiseLike<R>,
    resource: T,
    giveBack: (broken: boolean, error: unknown) => unknown,
  ): Promise<Awaited<R>> {
    const done = (error: unknown, failed: boolean): void => {
      giveBack(failed && this.#f.isBroken !== undefined && this.#isBroken(error, resource), error);
    };
    let r: R | PromiseLike<R>;
    try {
      r = fn(resource);
    } catch (e) {
      done(e, true);
      return Promise.reject(e);
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<R>).then === 'function') {
      return Promise.resolve(r).then(
        (v) => (done(undefined, false), v),
        (e) => {
          done(e, true);
          throw e;
        },
      ) as Promise<Awaited<R>>;
    }
    done(undefined, false);
    return Promise.resolve(r as Awaited<R>);
  }

  #isBroken(error: unknown, resource: T): boolean {
    try {
      return this.#f.isBroken!(error, resource) === true;
    } catch (e) {
      this.#report(e, 'use', resource);
      return true;
    }
  }

  /**
   * A slot became available: the oldest waiter gets it, else it goes idle. `listed`: it
   * comes straight from a release and is still in #borrowed.
   */
  #handOff(s: Slot<T>, now: number, listed = false): void {
    if (this.#closed || this.#live > this.#o.max) {
      if (listed) this.#borrowed.remove(s);
      // It may come straight from the idle list (#dispatch): out of it already, whatever its state says.
      s.state = SlotState.Checking;
      this.#destroy(s, this.#closed ? 'pool closed' : 'pool resized');
      this.#dispatch();
      return;
    }
    const w = this.#waiters.shift();
    if (w !== null) {
      this.#settleWaiter(w);
      w.resolve(this.#lease(s, now, w.enqueuedAt, w.origin, listed));
      return;
    }
    if (listed) this.#borrowed.remove(s);
    s.state = SlotState.Idle;
    s.idleSince = now;
    this.#idle.push(s);
    this.#settleReady();
  }

  #enqueue(options: AcquireOptions | undefined, handle?: WaitHandle<T>): Promise<Lease<T>> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#waiters.length >= this.#o.maxWaiting) {
      this.#counters.rejected++;
      // The fast path may just have retired an expired resource: refill `min` all the same.
      this.#dispatch();
      return Promise.reject(
        new QueueFullError(
          `acquire rejected: ${this.#waiters.length} already waiting, maxWaiting is ${this.#o.maxWaiting} (${describeCounts(this.#o.name, this.#counts())})`,
          this.#errorOptions(),
        ),
      );
    }
    const now = this.#clock.now();
    // failFast: while the backend is known down (inside the backoff window) reject at once;
    // once the window ends, this acquire waits for (and thereby triggers) a probing create.
    const down = this.#creator.lastError;
    if (this.#o.failFast && down !== null && now < this.#creator.until && this.#idle.length === 0) {
      return Promise.reject(down);
    }
    const timeoutMs = options?.timeoutMs ?? this.#o.acquireTimeoutMs;
    // Captured here, not in the executor: two frames fewer of lido, one more of the caller's.
    const origin = this.#leaks.origin();
    const w = new Waiter<T>(now, timeoutMs);
    // The executor only takes the resolving functions: with the rest inside it, it closed
    // over all of this method's locals, and V8 allocated a context for them per waiter
    // (≈20 ns of a contended cycle; docs/performance.md, "The waiting acquire's promise").
    const promise = new Promise<Lease<T>>((resolve, reject) => {
      w.resolve = resolve;
      w.reject = reject;
    });
    try {
      if (origin !== null) w.extra().origin = origin;
      if (handle !== undefined) handle.waiter = w;
      if (signal !== undefined) {
        const x = w.extra();
        x.signal = signal;
        x.onAbort = this.#abortListener(w, signal);
        signal.addEventListener('abort', x.onAbort, { once: true });
      }
      this.#waiters.push(w);
      if (timeoutMs !== Infinity) this.#deadline.arm(now + timeoutMs, now);
      this.#dispatch(now);
    } catch (e) {
      // As when all this ran in the executor: a throw (a signal's addEventListener, a
      // clock's setTimer) rejects the acquire instead of escaping from it.
      w.reject(e);
    }
    return promise;
  }

  /**
   * The abort listener of a waiting acquire. Made here, not in #enqueue: a closure there
   * would make every enqueue allocate a context for #enqueue's locals.
   */
  #abortListener(w: Waiter<T>, signal: AbortSignal): () => void {
    return () => {
      if (!w.queued) return;
      this.#waiters.remove(w);
      this.#counters.aborted++;
      // The listener was added with `once`: Node already removed it, no need to walk the list again.
      if (this.#waiters.length === 0) this.#deadline.clear();
      w.reject(signal.reason);
    };
  }

  /** Detaches a waiter that leaves the queue; disarms the deadline timer once nobody waits. */
  #settleWaiter(w: Waiter<T>): void {
    const x = w.x;
    if (x !== null && x.signal !== null) x.signal.removeEventListener('abort', x.onAbort!);
    if (this.#waiters.length === 0) this.#deadline.clear();
  }

  #fail(w: Waiter<T>, error: unknown): void {
    this.#settleWaiter(w);
    w.reject(error);
  }

  /** The deadline timer fired: times out every waiter whose deadline passed. */
  #onDeadline(): void {
    const now = this.#clock.now();
    const counts = this.#counts();
    const expired = this.#waiters.takeExpired(now);
    if (expired.length > 0) {
      this.#lastTimeoutAt = now;
      this.#counters.timeouts += expired.length;
      const cause = this.#creator.lastError?.cause;
      let why =
        cause === undefined ? '' : `; last create error: ${cause instanceof Error ? cause.message : String(cause)}`;
      const pendingMs = this.#creator.oldestPendingMs(now);
      if (pendingMs > 0) why += `; a create has been pending for ${Math.round(pendingMs)} ms`;
      // What the errors of one batch share is formatted once: counts, cause, and the message
      // per timeout value (usually one). Each waiter still gets its own error object.
      const shared = ` ms (${describeCounts(this.#o.name, counts)})${why}`;
      const options = { ...this.#errorOptions(counts), cause };
      // Built all at once, before any listener runs: user code never sees the limit at 0.
      const errors = withoutStack(() => {
        const out: AcquireTimeoutError[] = new Array(expired.length);
        let msgFor = NaN;
        let message = '';
        for (let i = 0; i < expired.length; i++) {
          const ms = expired[i].timeoutMs;
          if (ms !== msgFor) message = `acquire timed out after ${(msgFor = ms)}${shared}`;
          out[i] = new AcquireTimeoutError(message, options);
        }
        return out;
      });
      for (let i = 0; i < expired.length; i++) {
        const w = expired[i];
        const error = errors[i];
        this.#fail(w, error);
        this.emitSafe('timeout', error);
        publishTimeout(this, error);
      }
    }
    const next = this.#waiters.nextDeadline();
    if (next !== Infinity) this.#deadline.arm(next, now);
  }

  // ---- supply ----------------------------------------------------------------------

  /** Matches idle resources to waiters, then starts the creates that waiters and `min` need. */
  #dispatch(now?: number): void {
    // Nothing idle to hand out and no room to create: nothing to do (the usual case under
    // contention), and no clock read for it.
    if (this.#closed || (this.#idle.length === 0 && this.#live + this.#creator.creating >= this.#o.max)) return;
    // A caller that just read the clock passes its reading: one read less per enqueue.
    if (now === undefined) now = this.#clock.now();
    while (this.#waiters.length > this.#checking && this.#idle.length > 0) {
      const s = this.#idle.take()!;
      if (this.#usable(s, now)) this.#handOff(s, now);
    }
    const creator = this.#creator;
    if (now < creator.until) return;
    const o = this.#o;
    while (
      creator.creating < o.maxConcurrentCreates &&
      this.#live + creator.creating < o.max &&
      (this.#waiters.length > this.#checking + creator.creating || this.#live + creator.creating < o.min)
    ) {
      creator.start();
    }
  }

  #created(resource: T, started: number): void {
    const now = this.#clock.now();
    const c = this.#counters;
    c.created++;
    c.createTime.record(now - started);
    const life = this.#o.maxLifetimeMs;
    const s = new Slot<T>(resource, now, life === 0 ? Infinity : now + life * (1 - 0.1 * this.#o.random()));
    this.#live++;
    this.emitSafe('create', resource);
    publishCreate(this, resource, now - started);
    if (this.#f.watch !== undefined) this.#watch(s);
    if (s.broken !== undefined) {
      // Dead on arrival (the adapter evicted it while we started watching it): a failed
      // create, with backoff, or a backend that kills every connection would make us spin.
      const cause = s.broken;
      this.#destroy(s, cause);
      this.#createFailure(
        new CreateError(
          `create failed: the resource was reported dead as soon as it was created (${cause instanceof Error ? cause.message : String(cause)})`,
          { ...this.#errorOptions(), cause },
        ),
        now,
      );
      return;
    }
    this.#creator.succeeded();
    this.#handOff(s, now);
    this.#settleReady();
    this.#dispatch();
    this.#onSettle?.();
  }

  /** A create failed: back off, tell `ready()` (and, with failFast, the waiters). */
  #createFailure(error: CreateError, now: number): void {
    if (this.#closed) {
      this.#onSettle?.();
      return;
    }
    this.#counters.createErrors++;
    this.#creator.fail(error, now);
    this.#report(error, 'create');
    if (this.#live < this.#o.min) for (const r of this.#readyWaiters.splice(0)) r.reject(error);
    if (this.#o.failFast) for (const w of this.#waiters.drain()) this.#fail(w, error);
  }

  /** A resource that arrived after its create was abandoned (timeout, close). */
  #destroyStray(resource: T): void {
    this.#counters.created++;
    this.#counters.destroyed++;
    this.#callDestroy(resource);
  }

  #validate(s: Slot<T>, keepalive: boolean): void {
    s.state = SlotState.Checking;
    this.#checking++;
    const ms = this.#o.validateTimeoutMs;
    // A keepalive ping of an idle pool must not keep the process alive.
    const keepAlive = !keepalive || !this.#o.allowExitOnIdle;
    const timeout = (): Error => new ValidationError(`validate timed out after ${ms} ms`, this.#errorOptions());
    bounded((signal) => this.#f.validate!(s.resource, signal), this.#clock, ms, keepAlive, timeout)
      .then(
        (ok) => ok === true,
        (e) => {
          this.#report(
            e instanceof ValidationError
              ? e
              : new ValidationError(`validate failed: ${e instanceof Error ? e.message : String(e)}`, {
                  ...this.#errorOptions(),
                  cause: e,
                }),
            'validate',
            s.resource,
          );
          return false;
        },
      )
      .then((ok) => {
        this.#checking--;
        const now = this.#clock.now();
        if (!ok || s.broken !== undefined) {
          this.#counters.validationFailures++;
          this.#destroy(s, s.broken ?? 'validation failed');
          this.#dispatch();
        } else if (now >= s.expiresAt) {
          // Its lifetime ran out while it was being checked: retired, never lent.
          this.#destroy(s, 'max lifetime reached');
          this.#dispatch();
        } else if (keepalive && this.#waiters.length === 0 && !this.#closed && this.#live <= this.#o.max) {
          // A keepalive ping is not a use: the idle clock keeps running. (Above max after a
          // shrink, #handOff below destroys it instead.)
          s.lastGood = now;
          s.state = SlotState.Idle;
          this.#idle.push(s);
        } else {
          s.lastGood = now;
          this.#handOff(s, now);
        }
        this.#onSettle?.();
      });
  }

  /**
   * Runs `factory.reset` on release. A reset that returns synchronously hands the
   * resource on in the same tick (no promise, no timer); only an async one is bounded
   * by `resetTimeoutMs`.
   */
  #reset(s: Slot<T>, now: number): void {
    let r: unknown;
    try {
      r = this.#f.reset!(s.resource);
    } catch (e) {
      this.#resetFailed(s, e);
      this.#dispatch();
      return;
    }
    if (r === null || r === undefined || typeof (r as PromiseLike<void>).then !== 'function') {
      if (s.broken !== undefined) {
        this.#destroy(s, s.broken);
        this.#dispatch();
        return;
      }
      s.lastGood = now;
      this.#handOff(s, now);
      return;
    }
    this.#checking++;
    const ms = this.#o.resetTimeoutMs;
    const timeout = (): Error =>
      new PoolError(`reset timed out after ${ms} ms`, 'ERR_POOL_RESET', { ...this.#errorOptions(), phase: 'reset' });
    bounded(() => r as PromiseLike<void>, this.#clock, ms, true, timeout)
      .then(
        () => true,
        (e) => {
          this.#resetFailed(s, e);
          return false;
        },
      )
      .then((ok) => {
        this.#checking--;
        const later = this.#clock.now();
        if (ok && s.broken === undefined && later < s.expiresAt) {
          s.lastGood = later;
          this.#handOff(s, later);
        } else {
          // Reset well, but evicted or past its lifetime meanwhile.
          if (ok) this.#destroy(s, s.broken ?? 'max lifetime reached');
          this.#dispatch();
        }
        this.#onSettle?.();
      });
  }

  /** Counts, reports and destroys after a reset that threw, rejected or timed out. */
  #resetFailed(s: Slot<T>, e: unknown): void {
    this.#counters.resetFailures++;
    this.#report(
      e instanceof PoolError
        ? e
        : new PoolError(`reset failed: ${e instanceof Error ? e.message : String(e)}`, 'ERR_POOL_RESET', {
            ...this.#errorOptions(),
            phase: 'reset',
            cause: e,
          }),
      'reset',
      s.resource,
    );
    this.#destroy(s, s.broken ?? 'reset failed');
  }

  #watch(s: Slot<T>): void {
    try {
      s.unwatch = this.#f.watch!(s.resource, (reason) => this.#evict(s, reason));
    } catch (e) {
      this.#report(e, 'create', s.resource);
    }
  }

  /** The adapter says the resource died: idle ones go now, others when they come back. */
  #evict(s: Slot<T>, reason: unknown): void {
    if (s.state === SlotState.Dead) return;
    if (s.broken === undefined) s.broken = reason ?? new Error('evicted by the adapter');
    if (s.state === SlotState.Idle) {
      this.#destroy(s, s.broken);
      this.#dispatch();
    }
  }

  #destroy(s: Slot<T>, reason: unknown): void {
    if (s.state === SlotState.Dead) return;
    if (s.state === SlotState.Idle) this.#idle.remove(s);
    else if (s.state === SlotState.Borrowed) {
      this.#borrowed.remove(s);
      this.#lent--;
      this.#leaks.returned(s, this.#clock.now());
    }
    s.state = SlotState.Dead;
    s.gen++;
    this.#live--;
    this.#counters.destroyed++;
    if (s.unwatch !== null) {
      try {
        s.unwatch();
      } catch (e) {
        this.#report(e, 'destroy', s.resource);
      }
      s.unwatch = null;
    }
    // factory.destroy() first, then the event: a listener that acquires at once (and so
    // may start a create) must never find the old resource still alive next to the new one.
    this.#callDestroy(s.resource);
    this.emitSafe('destroy', s.resource, reason);
    publishDestroy(this, s.resource, reason);
    this.#onSettle?.();
  }

  #callDestroy(resource: T): void {
    let r: unknown;
    try {
      r = this.#f.destroy(resource);
    } catch (e) {
      this.#report(e, 'destroy', resource);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<void>).then === 'function') {
      this.#destroying++;
      Promise.resolve(r)
        .then(noop, (e) => this.#report(e, 'destroy', resource))
        .finally(() => {
          this.#destroying--;
          this.#onSettle?.();
        });
    }
  }

  #settleReady(): void {
    if (this.#readyWaiters.length > 0 && this.#live >= this.#o.min) {
      for (const r of this.#readyWaiters.splice(0)) r.resolve();
    }
  }

  // ---- reporting ---------------------------------------------------------------------

  #report(e: unknown, phase: PoolPhase, resource?: T): void {
    if (this.listenerCount('error') === 0) return; // reported only to those who listen; never thrown
    const error =
      e instanceof PoolError
        ? e
        : new PoolError(
            `${phase} failed: ${e instanceof Error ? e.message : String(e)}`,
            'ERR_POOL_' + phase.toUpperCase(),
            { ...this.#errorOptions(), phase, cause: e },
          );
    this.emitSafe('error', error, resource);
  }

  #onLeak(r: LeakReport, first: boolean): void {
    if (first) {
      this.#counters.leaks++;
      this.#lastLeakAt = this.#clock.now();
    }
    this.emitSafe('leak', r);
    publishLeak(this, r);
    const what =
      r.kind === 'held'
        ? `held for ${Math.round(r.heldMs)} ms`
        : r.kind === 'lost'
          ? 'garbage-collected without release'
          : `returned after ${Math.round(r.heldMs)} ms`;
    process.emitWarning(`lido: pool "${r.pool}" lease ${what}; acquired at:\n${r.stack}`, { code: 'LIDO_LEAK' });
  }

  #counts(): PoolCounts {
    return {
      size: this.#live + this.#creator.creating,
      idle: this.#idle.length,
      borrowed: this.#lent,
      pending: this.#waiters.length,
      creating: this.#creator.creating,
      max: this.#o.max,
    };
  }

  #errorOptions(counts = this.#counts()): { pool: string; counts: PoolCounts } {
    return { pool: this.#o.name, counts };
  }

  #closedError(): PoolClosedError {
    return new PoolClosedError(`pool "${this.#o.name}" is closed`, this.#errorOptions());
  }

  #own(lease: Lease<T>, verb: string): Lease<T> {
    if (!(lease instanceof Lease) || !lease.isFrom(this)) {
      throw new PoolError(
        `${verb}: expected a lease of pool "${this.#o.name}", got ${lease instanceof Lease ? 'a lease of another pool' : typeof lease}`,
        'ERR_POOL_FOREIGN_LEASE',
        { phase: 'use', pool: this.#o.name },
      );
    }
    return lease;
  }

  #housekept(): Housekept<T> {
    const o = this.#o;
    return {
      get min() {
        return o.min;
      },
      live: () => this.#live,
      idleSlots: () => this.#idle.toArray(),
      retire: (s, reason) => this.#destroy(s, reason),
      keepalive: (s) => {
        this.#idle.remove(s);
        this.#validate(s, true);
      },
      refill: () => this.#dispatch(),
    };
  }
}

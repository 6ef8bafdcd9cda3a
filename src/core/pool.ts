import { advise, type Advice } from '../stats/advice.js';
import type { DestroyReason, PoolStats } from '../stats/counters.js';
import { traceAcquire, tracingAcquire } from '../stats/diagnostics.js';
import type { Health } from '../stats/health.js';
import { healthOf, statsOf } from '../stats/snapshot.js';
import { checkAcquire, type AcquireOptions } from './acquire-options.js';
import { assemble, type PoolParts } from './assembly.js';
import type { Checks } from './checks.js';
import { type CloseOptions, type CloseReport, shutDown } from './close.js';
import { SlotState, type Slot } from './containers/slot.js';
import { type Announcer, PoolEmitter } from './events.js';
import { internalsFor, kRelease, type LeaseOwner, type PoolInternals } from './internal.js';
import type { LeakDetector } from './leak-detector.js';
import { type Lease, ownLease } from './lease.js';
import { checkDuration, checkInt, checkSizes, type PoolOptions } from './options.js';
import { RETIRED } from './retirement.js';
import type { PoolState } from './state.js';
import type { Supply } from './supply.js';
import { runWith } from './use.js';
import { held } from './util/held.js';
import type { Waiting } from './waiting.js';

export type { CloseOptions, CloseReport } from './close.js';
export type { PoolEvents, ThawInfo } from './events.js';

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
 *
 * This class is the policy of `acquire`, `use`, `release` and `close`; the parts it is
 * made of (supply, waiting, checks, retirement, deadlines, creator) are described in
 * docs/architecture.md.
 */
export class Pool<T> extends PoolEmitter<T> implements AsyncDisposable, LeaseOwner<T> {
  readonly #state: PoolState<T>;
  readonly #events: Announcer<T>;
  readonly #leaks: LeakDetector<T>;
  readonly #waiting: Waiting<T>;
  readonly #checks: Checks<T>;
  readonly #supply: Supply<T>;
  readonly #parts: PoolParts<T>;
  #closing: Promise<CloseReport> | null = null;
  /** While closing: tells the drain that something in flight ended. */
  #drainCheck: (() => void) | null = null;
  /** See {@link poolInternals}; made on first use. */
  #internals: PoolInternals<T> | null = null;

  /** Its hidden classes, and those of all its parts, held (see util/held.ts): a pool closed at once. */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: held only to keep the class's hidden class alive
  static readonly #held = held(Pool.#example());

  static #example(): Pool<unknown> {
    const pool = new Pool<unknown>({ name: 'lido (held)', factory: { create: async () => null, destroy: noop } });
    // A histogram's sum and max turn fractional with the first duration recorded (a new map).
    pool.#state.counters.waitTime.record(0.5);
    void pool.close();
    return pool;
  }

  /** Creates a pool; `min` resources start being created on the next tick. Options are validated at once. */
  constructor(options: PoolOptions<T>) {
    super();
    const parts = (this.#parts = assemble<T>(this, options, {
      // A lease lost without release: the pool takes its resource back (a lost lease is a shrink).
      reclaim: (s, gen, detail) => this[kRelease](s, gen, 'shrink', detail),
      ended: () => this.#drainCheck?.(),
    }));
    this.#state = parts.state;
    this.#events = parts.events;
    this.#leaks = parts.leaks;
    this.#waiting = parts.waiting;
    this.#checks = parts.checks;
    this.#supply = parts.supply;
    // Start filling `min` after the constructor returns, so listeners can be attached first.
    if (parts.state.options.min > 0 && parts.state.options.keepMin) queueMicrotask(() => parts.supply.dispatch());
  }

  /** The pool's name (option `name`). */
  get name(): string {
    return this.#state.options.name;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /** Resolves once `min` resources exist; rejects with a `CreateError` if creating them fails. */
  ready(): Promise<void> {
    if (this.#state.closed) return Promise.reject(this.#parts.report.closedError());
    return this.#supply.ready();
  }

  /**
   * Borrows a resource. Resolves with a {@link Lease} to release (or `await using`);
   * rejects with `AcquireTimeoutError`, `QueueFullError`, `PoolClosedError`, a `CreateError`
   * (with `failFast`), or the signal's reason when aborted.
   */
  acquire(options?: AcquireOptions): Promise<Lease<T>> {
    if (tracingAcquire()) return traceAcquire(this, options, this.#state.clock, () => this.#acquire(options));
    return this.#acquire(options);
  }

  #acquire(options: AcquireOptions | undefined): Promise<Lease<T>> {
    if (options !== undefined) {
      checkAcquire(options);
      if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    }
    const s = this.#supply.lendIdle();
    if (s !== null) return Promise.resolve(this.#supply.lease(s));
    return this.#waiting.enqueue(options);
  }

  static {
    internalsOf = (pool) => (pool.#internals ??= internalsFor(pool, pool.#parts));
  }

  /**
   * Runs `fn` with a borrowed resource and always releases it, even when `fn` throws.
   * After a throw, `factory.isBroken(error, resource)` decides whether to destroy it.
   */
  use<R>(fn: (resource: T) => R | PromiseLike<R>, options?: AcquireOptions): Promise<Awaited<R>> {
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`use: expected a function, got ${typeof fn}`));
    // No Lease for a resource lent on the spot: its slot and generation give it back.
    // (While a tracer listens on lido:pool:acquire, every borrow goes through acquire().)
    if (options === undefined && !tracingAcquire()) {
      const s = this.#supply.lendIdle();
      if (s !== null) {
        const gen = s.gen;
        const giveBack = (broken: boolean, error: unknown): boolean =>
          this[kRelease](s, gen, broken ? 'broken' : null, error);
        return runWith(fn, s.resource, this.#parts.isBroken, giveBack, this.#state.frames);
      }
      return this.#waiting.enqueue(undefined).then((lease) => this.#useLease(fn, lease));
    }
    return this.acquire(options).then((lease) => this.#useLease(fn, lease));
  }

  #useLease<R>(fn: (resource: T) => R | PromiseLike<R>, lease: Lease<T>): Promise<Awaited<R>> {
    const giveBack = (broken: boolean, error: unknown): void => (broken ? lease.destroy(error) : lease.release());
    return runWith(fn, lease.resource, this.#parts.isBroken, giveBack, this.#state.frames);
  }

  /** Returns a lease's resource: the same as `lease.release()`, refusing a lease of another pool. */
  release(lease: Lease<T>): void {
    ownLease(this, lease, 'release').release();
  }

  /** Discards a lease's resource: the same as `lease.destroy(reason)`, refusing a lease of another pool. */
  destroy(lease: Lease<T>, reason?: unknown): void {
    ownLease(this, lease, 'destroy').destroy(reason);
  }

  /**
   * Destroys up to `n` idle resources now, least recently used first, and returns how
   * many went. For callers that need room elsewhere (a keyed pool under a global cap);
   * `min` is refilled afterwards as usual.
   */
  evictIdle(n = 1): number {
    checkInt('evictIdle n', n, 0, true);
    const evicted = this.#parts.retirement.destroyIdle('evicted', 'evicted', (destroyed) => destroyed >= n);
    if (evicted > 0) this.#supply.dispatch();
    return evicted;
  }

  /**
   * Changes `min` and/or `max` at run time; excess idle resources go at once, borrowed ones
   * on release. With `autoSize`, these are the bounds its limit moves within.
   */
  resize(sizes: { min?: number; max?: number }): void {
    const o = this.#state.options;
    const { min, max } = checkSizes(sizes, o);
    o.min = min;
    o.max = max;
    this.#parts.deadlines.floorLifted();
    this.#supply.setLimit(this.#parts.sizer.bounds(min, max));
  }

  /** A snapshot of counts, counters and latency histograms. */
  stats(): PoolStats {
    return statsOf(this.#parts);
  }

  /** Zeroes the counters and histograms (counts of live resources are kept). */
  resetStats(): void {
    this.#state.counters.reset(this.#state.clock.now(), this.#state.leasesOut);
  }

  /** `ok`, `degraded` (waits, timeouts, leaks) or `down` (creates failing, nothing idle), with reasons. */
  health(): Health {
    return healthOf(this.#parts);
  }

  /** Recommendations from what was observed since the last `resetStats()`. */
  advise(): Advice[] {
    return advise(this.stats(), this.#state.options);
  }

  /** The effective options (the factory is shown by its hook names only). */
  config(): Record<string, unknown> {
    const { factory, clock, random, fromEnv, ...rest } = this.#state.options;
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
    this.#parts.sizer.stop();
    const { done, check } = shutDown(this.#parts, timeoutMs);
    this.#drainCheck = check;
    this.#closing = done.finally(() => (this.#drainCheck = null));
    check();
    return this.#closing;
  }

  /** `await using pool = new Pool(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal Called by leases: the release policy (destroy, retire, reset, or hand on). */
  [kRelease](s: Slot<T>, gen: number, destroy: DestroyReason | null, detail: unknown): boolean {
    if (s.gen !== gen || s.state !== SlotState.Borrowed) return false;
    const state = this.#state;
    // Still linked in the borrowed list: if it goes straight to a waiter (handOff), it stays
    // there instead of being unlinked and linked again; every other way out unlinks it.
    state.leasesOut--;
    s.state = SlotState.Checking;
    const now = state.clock.now();
    this.#leaks.returned(s, now);
    state.counters.released++;
    state.counters.useTime.record(now - s.borrowedAt);
    this.#events.released(s.resource, now - s.borrowedAt);
    let why = destroy;
    if (why === null && s.broken === undefined) {
      const retired = this.#retiredOnRelease(s, now);
      if (retired === null) {
        // Fit to lend again: reset first if the factory says so, else straight on.
        if (state.hasReset) {
          state.borrowed.remove(s);
          this.#checks.reset(s, now);
        } else {
          s.lastGood = now;
          this.#supply.handOff(s, now, true);
        }
        return true;
      }
      why = retired;
      detail = RETIRED[retired];
    } else if (why === null) {
      why = 'error'; // the adapter reported it dead while it was lent
      detail = s.broken;
    }
    state.borrowed.remove(s);
    this.#parts.retirement.destroy(s, why, detail);
    this.#supply.dispatch();
    return true;
  }

  /** Why a healthy resource coming back must go instead of being lent again, or null. */
  #retiredOnRelease(s: Slot<T>, now: number): keyof typeof RETIRED | null {
    const state = this.#state;
    if (state.closed) return 'closed';
    if (s.uses >= state.options.maxUses) return 'maxUses';
    if (now >= s.expiresAt) return 'lifetime';
    if (state.live > state.limit) return 'shrink';
    return null;
  }
}

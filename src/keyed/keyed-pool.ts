import { EventEmitter } from 'node:events';
import { checkAcquire, type AcquireOptions } from '../core/acquire-options.js';
import { Budget } from './budget.js';
import { AcquireTimeoutError, PoolClosedError, type PoolError } from '../core/errors.js';
import type { Health } from '../stats/health.js';
import type { KeyEntry } from './entry.js';
import { resolveKeyedOptions, type KeyedPoolOptions, type ResolvedKeyedOptions } from './options.js';
import { KeyRegistry } from './registry.js';
import type { KeyedPoolStats } from './stats.js';
import type { Checkout, KeyedInternals } from './internal.js';
import type { Lease } from '../core/lease.js';
import { keyedAdvice, type KeyedAdvice } from './advice.js';
import { explainTimeout, keyedHealth } from './health.js';
import { type CloseOptions, type CloseReport, type Pool, poolInternals } from '../core/pool.js';

export type { Checkout, KeyedInternals } from './internal.js';
export type { KeyedAdvice } from './advice.js';

/** Events a keyed pool emits, with their arguments. */
export interface KeyedPoolEvents<K> {
  /** A key's pool reported an error (create, validate, reset, destroy, …). */
  error: [error: PoolError, key: K];
}

type Entry<K, T> = KeyEntry<K, T>;

let keyedInternalsOf: <K, T>(keyed: KeyedPool<K, T>) => KeyedInternals<K, T>;

/** @internal A keyed pool's {@link KeyedInternals} (not exported from any package entry point). */
export function keyedInternals<K, T>(keyed: KeyedPool<K, T>): KeyedInternals<K, T> {
  return keyedInternalsOf(keyed);
}

/**
 * One lazily created {@link Pool} per key (tenant, origin, shard) under a global cap.
 * At the cap, a create evicts an idle resource of the least recently used other key;
 * if none is idle, the busiest key gives one back at its next release, so a key with
 * waiters is never starved by busy neighbours. Key pools unused for
 * `idlePoolTimeoutMs` are closed and forgotten. A resource made for one key is only
 * ever handed out for that key.
 */
export class KeyedPool<K, T> extends EventEmitter<KeyedPoolEvents<K>> implements AsyncDisposable {
  readonly #options: ResolvedKeyedOptions<K, T>;
  readonly #budget: Budget<Entry<K, T>>;
  readonly #keys: KeyRegistry<K, T>;
  #closed = false;
  #closePromise: Promise<CloseReport> | null = null;
  #poked = false;
  #evictions = 0;
  #reclaims = 0;

  /** Creates an empty keyed pool; options are validated at once (`PoolOptionsError` names the bad one). */
  constructor(options: KeyedPoolOptions<K, T>) {
    super({ captureRejections: false });
    this.#options = resolveKeyedOptions(options);
    this.#budget = new Budget<Entry<K, T>>(this.#options.maxTotal, {
      evictFor: (e) => this.#evictFor(e),
      donorFor: (e) => this.#donorFor(e),
      capChanged: (e) => e.capChanged(),
    });
    this.#keys = new KeyRegistry<K, T>(this.#options, this.#budget, {
      released: (e) => {
        this.#keys.touch(e, e.borrowed === 0 && e.pending === 0);
        this.#poke();
      },
      poke: () => this.#poke(),
      error: (error, key) => {
        if (this.listenerCount('error') > 0) this.emit('error', error, key);
      },
    });
  }

  /** The keyed pool's name (option `name`). */
  get name(): string {
    return this.#options.name;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Number of key pools open now. */
  get size(): number {
    return this.#keys.size;
  }

  /** True when `key` has an open pool. */
  has(key: K): boolean {
    return this.#keys.has(key);
  }

  /**
   * Borrows a resource made for `key`, creating the key's pool on first use. Rejects like
   * `Pool.acquire`; a timeout while waiting for room under `maxTotal` says so.
   */
  acquire(key: K, options?: AcquireOptions): Promise<Lease<T>> {
    let e: Entry<K, T>;
    try {
      e = this.#enter(key, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return e.pool.acquire(options).then(
      (lease) => this.#acquired(e, lease),
      (error) => {
        throw this.#acquireFailed(e, error);
      },
    );
  }

  /**
   * Runs `fn` with a resource of `key` and always releases it, even when `fn` throws;
   * after a throw, the key factory's `isBroken(error, resource)` decides whether to destroy it.
   */
  async use<R>(key: K, fn: (resource: T) => R | PromiseLike<R>, options?: AcquireOptions): Promise<Awaited<R>> {
    if (typeof fn !== 'function') throw new TypeError(`use: expected a function, got ${typeof fn}`);
    const e = this.#enter(key, options);
    let lease: Lease<T>;
    try {
      lease = this.#acquired(e, await e.pool.acquire(options));
    } catch (error) {
      throw this.#acquireFailed(e, error);
    }
    const resource = lease.resource;
    let result: Awaited<R>;
    try {
      result = await fn(resource);
    } catch (error) {
      let broken = false;
      try {
        broken = e.factory.isBroken?.(error, resource) === true;
      } catch {
        broken = true;
      }
      if (broken) lease.destroy(error);
      else lease.release();
      throw error;
    }
    lease.release();
    return result;
  }

  /** See {@link KeyedInternals.checkout}. */
  #checkout(key: K, c: Checkout<T>, n: number): Lease<T> | null {
    const e = this.#enter(key, undefined);
    const core = poolInternals(e.pool);
    const now = core.tryAcquire();
    if (now !== null) return this.#acquired(e, now);
    c.waiter = null;
    c.queuedIn = e.pool;
    core.acquireQueued(c).then(
      (lease) => c.got(this.#acquired(e, lease), n),
      (error) => c.lost(this.#acquireFailed(e, error), n),
    );
    return null;
  }

  static {
    keyedInternalsOf = <K, T>(keyed: KeyedPool<K, T>): KeyedInternals<K, T> => ({
      checkout: (key, c, n) => keyed.#checkout(key, c, n),
    });
  }

  /** Global budget, totals, and every key pool's stats. */
  stats(): KeyedPoolStats<K> {
    const { total, perKey } = this.#keys.stats();
    const b = this.#budget;
    return {
      name: this.#options.name,
      keys: this.#keys.size,
      maxTotal: b.max,
      live: b.used,
      budgetWaiting: b.waiting,
      budget: this.#options.budget === null ? null : this.#options.budget.stats(),
      owed: b.owedTotal,
      evictions: this.#evictions,
      reclaims: this.#reclaims,
      poolsCreated: this.#keys.created,
      poolsClosed: this.#keys.closed,
      total,
      perKey,
    };
  }

  /** Every key pool's recommendations (see `Pool.advise`), with its key, and advice about `maxTotal`; critical first. */
  advise(): KeyedAdvice<K>[] {
    const { used, waiting, max } = this.#budget;
    return keyedAdvice({ entries: this.#keys.values(), maxTotal: max, used, waiting, evictions: this.#evictions });
  }

  /**
   * Sets `key`'s `min` and/or `max` (what is left out stays): now if its pool is open, and
   * whenever the key's pool is made again. The `maxTotal` cap still applies.
   */
  resize(key: K, sizes: { min?: number; max?: number }): void {
    this.#keys.resize(key, sizes);
  }

  /** Zeroes the counters of every key pool, the totals of closed ones, and the eviction counts. */
  resetStats(): void {
    this.#keys.resetStats();
    this.#evictions = this.#reclaims = 0;
  }

  /** `down` once closed; `degraded` while creates wait for room under `maxTotal` or a key's pool is not ok. */
  health(): Health {
    return keyedHealth(this.#closed, this.#budget, this.#keys.values());
  }

  /**
   * Closes every key pool (see `Pool.close`): acquires reject with `PoolClosedError`,
   * borrowed resources are awaited up to `timeoutMs`. Resolves with the summed reports. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    if (this.#closePromise !== null) return this.#closePromise;
    this.#closed = true;
    this.#closePromise = this.#keys.closeAll(options);
    return this.#closePromise;
  }

  /** `await using keyed = new KeyedPool(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Counts an acquire of `key` (making its pool on first use) before it borrows from the key's pool. */
  #enter(key: K, options: AcquireOptions | undefined): Entry<K, T> {
    if (this.#closed)
      throw new PoolClosedError(`keyed pool "${this.#options.name}" is closed`, { pool: this.#options.name });
    if (options !== undefined) checkAcquire(options);
    const e = this.#keys.entry(key);
    const idle = e.pending === 0 && e.borrowed === 0;
    e.pending++;
    this.#keys.touch(e, idle);
    // Its creates waiting for the budget are wanted again.
    if (e.pending === 1 && e.queued > 0) this.#budget.rebalance();
    return e;
  }

  /** The acquire got its lease. (Leases are counted here, not from the pool's `acquire` event: one event less per borrow.) */
  #acquired(e: Entry<K, T>, lease: Lease<T>): Lease<T> {
    e.borrowed++;
    this.#acquireEnded(e);
    return lease;
  }

  /** The acquire failed: the error to hand on (a timeout while creates wait for room says so). */
  #acquireFailed(e: Entry<K, T>, error: unknown): unknown {
    const queued = e.queued > 0 || e.owed > 0;
    this.#acquireEnded(e);
    if (e.pending === 0 && e.borrowed === 0) this.#keys.touch(e, true);
    return queued && error instanceof AcquireTimeoutError ? explainTimeout(e, this.#budget, error) : error;
  }

  /** An acquire of `e` got its lease or failed. */
  #acquireEnded(e: Entry<K, T>): void {
    // No acquire of this key waits any more: its waiting creates no longer claim room.
    if (--e.pending === 0 && (e.queued > 0 || this.#budget.owedTotal > 0)) this.#budget.rebalance();
  }

  /** After a release, once the resource went on (to a waiter or idle), creates waiting for room may take it. */
  #poke(): void {
    if (this.#poked || this.#budget.waiting === 0) return;
    this.#poked = true;
    setImmediate(() => {
      this.#poked = false;
      this.#budget.rebalance();
    });
  }

  #evictFor(requester: Entry<K, T>): boolean {
    for (const e of this.#budget.holders) {
      if (e === requester || e.live - e.borrowed - e.creating <= 0) continue;
      if (e.evictIdle() || (e.quiet() && e.pool.stats().idle > 0 && this.#keys.retire(e))) {
        this.#evictions++;
        return true;
      }
    }
    return false;
  }

  #donorFor(requester: Entry<K, T>): Entry<K, T> | null {
    let donor: Entry<K, T> | null = null;
    let most = 1;
    for (const e of this.#budget.holders) {
      if (e !== requester && e.live - e.owed > most) (donor = e), (most = e.live - e.owed);
    }
    if (donor !== null) this.#reclaims++;
    return donor;
  }
}

import { EventEmitter } from 'node:events';
import { checkAcquire, type AcquireOptions } from './acquire-options.js';
import { Budget } from './budget.js';
import { AcquireTimeoutError, PoolClosedError, type PoolError } from './errors.js';
import type { Health } from './health.js';
import { KeyEntry, type EntryHooks } from './keyed-entry.js';
import { resolveKeyedOptions, type KeyedPoolOptions, type ResolvedKeyedOptions } from './keyed-options.js';
import { addStats, zeroTotals, type KeyedPoolStats, type KeyedPoolTotals } from './keyed-stats.js';
import type { Lease } from './lease.js';
import type { CloseOptions, CloseReport } from './pool.js';

/** Events a keyed pool emits, with their arguments. */
export interface KeyedPoolEvents<K> {
  /** A key's pool reported an error (create, validate, reset, destroy, …). */
  error: [error: PoolError, key: K];
}

type Entry<K, T> = KeyEntry<K, T>;

/**
 * One lazily created {@link Pool} per key (tenant, origin, shard) under a global cap.
 * At the cap, a create evicts an idle resource of the least recently used other key;
 * if none is idle, the busiest key gives one back at its next release, so a key with
 * waiters is never starved by busy neighbours. Key pools unused for
 * `idlePoolTimeoutMs` are closed and forgotten. A resource made for one key is only
 * ever handed out for that key.
 */
export class KeyedPool<K, T> extends EventEmitter<KeyedPoolEvents<K>> implements AsyncDisposable {
  readonly #o: ResolvedKeyedOptions<K, T>;
  readonly #budget: Budget<Entry<K, T>>;
  readonly #entries = new Map<K, Entry<K, T>>(); // least recently used first
  readonly #closing = new Set<Promise<CloseReport>>();
  readonly #retired: KeyedPoolTotals = zeroTotals();
  readonly #hooks: EntryHooks<K, T>;
  #closed = false;
  #closePromise: Promise<CloseReport> | null = null;
  #sweepTimer: unknown = null;
  #poked = false;
  #evictions = 0;
  #reclaims = 0;
  #poolsCreated = 0;
  #poolsClosed = 0;

  /** Creates an empty keyed pool; options are validated at once (`PoolOptionsError` names the bad one). */
  constructor(options: KeyedPoolOptions<K, T>) {
    super({ captureRejections: false });
    this.#o = resolveKeyedOptions(options);
    this.#budget = new Budget<Entry<K, T>>(this.#o.maxTotal, {
      evictFor: (e) => this.#evictFor(e),
      donorFor: (e) => this.#donorFor(e),
      capChanged: (e) => e.capChanged(),
    });
    this.#hooks = {
      released: (e) => {
        this.#touch(e);
        this.#poke();
      },
      poke: () => this.#poke(),
      error: (error, key) => {
        if (this.listenerCount('error') > 0) this.emit('error', error, key);
      },
    };
  }

  /** The keyed pool's name (option `name`). */
  get name(): string {
    return this.#o.name;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Number of key pools open now. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when `key` has an open pool. */
  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /**
   * Borrows a resource made for `key`, creating the key's pool on first use. Rejects like
   * `Pool.acquire`; a timeout while waiting for room under `maxTotal` says so.
   */
  acquire(key: K, options?: AcquireOptions): Promise<Lease<T>> {
    return this.#acquire(key, options).then(([lease]) => lease);
  }

  /**
   * Runs `fn` with a resource of `key` and always releases it, even when `fn` throws;
   * after a throw, the key factory's `isBroken(error, resource)` decides whether to destroy it.
   */
  async use<R>(key: K, fn: (resource: T) => R | PromiseLike<R>, options?: AcquireOptions): Promise<Awaited<R>> {
    if (typeof fn !== 'function') throw new TypeError(`use: expected a function, got ${typeof fn}`);
    const [lease, e] = await this.#acquire(key, options);
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

  /** Global budget, totals, and every key pool's stats. */
  stats(): KeyedPoolStats<K> {
    const total = { ...this.#retired };
    const perKey = [];
    for (const e of this.#entries.values()) {
      const s = e.pool.stats();
      addStats(total, s, true);
      perKey.push({ ...s, key: e.key });
    }
    const b = this.#budget;
    return {
      name: this.#o.name, keys: this.#entries.size, maxTotal: b.max, live: b.used, budgetWaiting: b.waiting, owed: b.owedTotal,
      evictions: this.#evictions, reclaims: this.#reclaims, poolsCreated: this.#poolsCreated, poolsClosed: this.#poolsClosed,
      total, perKey,
    };
  }

  /** `down` once closed; `degraded` while creates wait for room under `maxTotal` or a key's pool is not ok. */
  health(): Health {
    if (this.#closed) return { status: 'down', reasons: ['keyed pool is closed'] };
    const reasons: string[] = [];
    if (this.#budget.waiting > 0) reasons.push(`${this.#budget.waiting} create(s) waiting for room under maxTotal ${this.#budget.max} (${this.#budget.used} live)`);
    let more = 0;
    for (const e of this.#entries.values()) {
      const h = e.pool.health();
      if (h.status === 'ok') continue;
      if (reasons.length < 6) reasons.push(`pool "${e.pool.name}" ${h.status}: ${h.reasons.join('; ')}`);
      else more++;
    }
    if (more > 0) reasons.push(`and ${more} more key pool(s) not ok`);
    return reasons.length === 0 ? { status: 'ok', reasons } : { status: 'degraded', reasons };
  }

  /**
   * Closes every key pool (see `Pool.close`): acquires reject with `PoolClosedError`,
   * borrowed resources are awaited up to `timeoutMs`. Resolves with the summed reports. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    if (this.#closePromise !== null) return this.#closePromise;
    this.#closed = true;
    if (this.#sweepTimer !== null) this.#o.clock.clearTimer(this.#sweepTimer);
    this.#sweepTimer = null;
    for (const e of [...this.#entries.values()]) this.#retire(e, options);
    this.#closePromise = Promise.all([...this.#closing]).then((reports) => ({
      forced: reports.reduce((n, r) => n + r.forced, 0),
      unsettledDestroys: reports.reduce((n, r) => n + r.unsettledDestroys, 0),
    }));
    return this.#closePromise;
  }

  /** `await using keyed = new KeyedPool(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #acquire(key: K, options: AcquireOptions | undefined): Promise<[Lease<T>, Entry<K, T>]> {
    if (this.#closed) return Promise.reject(new PoolClosedError(`keyed pool "${this.#o.name}" is closed`, { pool: this.#o.name }));
    let e: Entry<K, T>;
    try {
      if (options !== undefined) checkAcquire(options);
      e = this.#entry(key);
    } catch (error) {
      return Promise.reject(error);
    }
    e.pending++;
    this.#touch(e);
    // Its creates waiting for the budget are wanted again.
    if (e.pending === 1 && e.queued > 0) this.#budget.settle();
    return e.pool.acquire(options).then(
      (lease) => {
        this.#settled(e);
        return [lease, e];
      },
      (error) => {
        const queued = e.queued > 0 || e.owed > 0;
        this.#settled(e);
        throw queued && error instanceof AcquireTimeoutError ? this.#explain(e, error) : error;
      },
    );
  }

  #settled(e: Entry<K, T>): void {
    // No acquire of this key waits any more: its waiting creates no longer claim room.
    if (--e.pending === 0 && (e.queued > 0 || this.#budget.owedTotal > 0)) this.#budget.settle();
  }

  #explain(e: Entry<K, T>, error: AcquireTimeoutError): AcquireTimeoutError {
    const b = this.#budget;
    const why = e.owed > 0
      ? `key capped at ${e.cap} while other keys wait for room under maxTotal ${b.max}`
      : `waiting for room under maxTotal ${b.max}: ${b.used} live across ${b.holders.size} key(s), ${b.waiting} create(s) waiting`;
    return new AcquireTimeoutError(`${error.message}; ${why}`, { pool: error.pool, counts: error.counts, cause: error });
  }

  #entry(key: K): Entry<K, T> {
    let e = this.#entries.get(key);
    if (e === undefined) {
      e = new KeyEntry<K, T>(key, this.#o, this.#budget, this.#hooks);
      this.#entries.set(key, e);
      this.#poolsCreated++;
      this.#armSweep();
    }
    return e;
  }

  #touch(e: Entry<K, T>): void {
    e.lastUsed = this.#o.clock.now();
    if (this.#entries.delete(e.key)) this.#entries.set(e.key, e);
    this.#budget.touch(e);
  }

  /** After a release, once the resource has settled (handed on or idle), creates waiting for room may take it. */
  #poke(): void {
    if (this.#poked || this.#budget.waiting === 0) return;
    this.#poked = true;
    setImmediate(() => {
      this.#poked = false;
      this.#budget.settle();
    });
  }

  #evictFor(requester: Entry<K, T>): boolean {
    for (const e of this.#budget.holders) {
      if (e === requester || e.live - e.borrowed - e.creating <= 0) continue;
      if (e.evictIdle() || (e.quiet() && e.pool.stats().idle > 0 && this.#retire(e))) {
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

  /** Closes a key's pool and forgets the key; its counters go into the totals. */
  #retire(e: Entry<K, T>, options?: CloseOptions): true {
    if (this.#entries.get(e.key) === e) this.#entries.delete(e.key);
    const p = e.pool.close(options).then((report) => {
      this.#closing.delete(p);
      this.#poolsClosed++;
      addStats(this.#retired, e.pool.stats(), false);
      return report;
    });
    this.#closing.add(p);
    return true;
  }

  #armSweep(): void {
    const ms = this.#o.idlePoolTimeoutMs;
    if (ms === 0 || this.#sweepTimer !== null || this.#closed) return;
    const first = this.#entries.values().next().value;
    if (first === undefined) return;
    // Sweep when the least recently used key expires, but at most 16 times per timeout.
    const delay = Math.max(first.lastUsed + ms - this.#o.clock.now(), ms / 16, 1);
    this.#sweepTimer = this.#o.clock.setTimer(() => this.#sweep(), Math.ceil(delay), false);
  }

  #sweep(): void {
    this.#sweepTimer = null;
    const now = this.#o.clock.now();
    for (const e of this.#entries.values()) {
      if (e.lastUsed + this.#o.idlePoolTimeoutMs > now) break;
      if (e.pending > 0 || e.borrowed > 0) this.#touch(e);
      else this.#retire(e);
    }
    this.#armSweep();
  }
}

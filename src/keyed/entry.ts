import type { Budget, BudgetEntry } from './budget.js';
import { CreateError, type PoolError, PoolOptionsError } from '../core/errors.js';
import type { Factory } from '../core/factory.js';
import type { ResolvedKeyedOptions } from './options.js';
import type { Clock } from '../core/util/clock.js';
import { describe } from '../core/options.js';
import { Pool } from '../core/pool.js';
import { abortable } from '../core/util/abortable.js';
import { ownedPools } from '../stats/churn.js';

/** @internal What an entry tells its keyed pool. */
export interface EntryHooks<K, T> {
  /** A lease of this key came back (the resource may be idle soon). */
  released(e: KeyEntry<K, T>): void;
  /** A reset finished: the resource is about to be handed on or go idle. */
  poke(): void;
  /** The key's pool reported an error. */
  error(error: PoolError, key: K): void;
}

/**
 * @internal One key of a keyed pool: its `Pool`, built on the key's factory wrapped so
 * that every create first reserves a slot of the global budget and every destroy gives
 * it back, plus the counts the budget and the sweeper read without calling `stats()`.
 */
export class KeyEntry<K, T> implements BudgetEntry {
  live = 0;
  cap: number;
  owed = 0;
  pending = 0;
  queued = 0;
  /** Leases out (counted by the keyed pool as it hands them on, and from the pool's `release` event). */
  borrowed = 0;
  /** Creates past the budget, still in the factory. */
  creating = 0;
  scan = 0;
  seen = 0;
  /** When the key last started or stopped being used, on the clock (a key in use counts as used now). */
  lastUsed: number;
  readonly key: K;
  readonly factory: Factory<T>;
  readonly pool: Pool<T>;
  #min: number;
  #max: number;

  /** `sizes`: what `keyedPool.resize(key, …)` set for this key, over its options' `min` and `max`. */
  constructor(
    key: K,
    o: ResolvedKeyedOptions<K, T>,
    budget: Budget<KeyEntry<K, T>>,
    hooks: EntryHooks<K, T>,
    sizes?: { min: number; max: number },
  ) {
    this.key = key;
    this.lastUsed = o.clock.now();
    const label = o.keyName(key);
    const k = o.perKeyFor(key, label);
    this.#min = sizes?.min ?? k.min;
    this.cap = this.#max = sizes?.max ?? k.max;
    const f = o.factory(key);
    if (f === null || typeof f !== 'object' || typeof f.create !== 'function' || typeof f.destroy !== 'function') {
      throw new PoolOptionsError(`factory(${label}): expected a Factory { create, destroy }, got ${describe(f)}`);
    }
    this.factory = f;
    // The key's own createTimeoutMs starts once the budget is reserved (see budgeted()):
    // waiting for room under maxTotal is not a failing create.
    // The key's pool is the keyed pool's business: a key swept and made again is not churn.
    this.pool = ownedPools(
      () =>
        new Pool<T>({
          ...k.perKey,
          min: this.#min,
          max: this.#max,
          createTimeoutMs: Infinity,
          name: `${o.name}[${label}]`,
          clock: o.clock,
          ...(o.budget === null ? {} : { budget: o.budget }),
          factory: budgeted(f, this, budget, { clock: o.clock, ...k }, hooks),
        }),
    );
    // `borrowed` goes up where the keyed pool hands the lease on (no `acquire` listener:
    // the pool emits nothing on a borrow nobody listens to).
    this.pool.on('release', () => {
      this.borrowed--;
      hooks.released(this);
    });
    this.pool.on('error', (error) => hooks.error(error, key));
  }

  /** The key's own sizes (`keyedPool.resize(key, …)`), checked by the caller; the budget's cap still applies. */
  resize(min: number, max: number): void {
    this.#min = min;
    this.#max = max;
    this.capChanged(true);
  }

  /** Applies the budget's cap: `live - owed` while this key owes slots, else its own `max`. */
  capChanged(force = false): void {
    const cap = this.owed > 0 ? Math.max(1, Math.min(this.#max, this.live - this.owed)) : this.#max;
    if (cap === this.cap && !force) return;
    this.cap = cap;
    this.pool.resize({ min: Math.min(this.#min, cap), max: cap });
  }

  /** The key's `min` and `max` now. */
  get sizes(): { min: number; max: number } {
    return { min: this.#min, max: this.#max };
  }

  /**
   * Destroys one idle resource now (`pool.evictIdle(1)`), keeping at least `min` (and
   * one: a key keeps its last resource); true if one went.
   */
  evictIdle(): boolean {
    const s = this.pool.stats();
    const live = s.size - s.creating;
    if (s.idle === 0 || live - 1 < Math.max(1, this.#min)) return false;
    return this.pool.evictIdle(1) === 1;
  }

  /**
   * True when nothing of this key is wanted or in use: closing its pool loses no work.
   * Creates still waiting for the budget do not count: nobody waits for them.
   */
  quiet(): boolean {
    if (this.pending > 0 || this.borrowed > 0 || this.creating > 0) return false;
    const s = this.pool.stats();
    return s.borrowed === 0 && s.pending === 0 && s.creating === this.queued && s.checking === 0;
  }
}

/**
 * The key's factory, with every create inside the global cap and its own create timeout;
 * a destroy gives its slot back once it settled (or after `destroyTimeoutMs`).
 */
function budgeted<K, T>(
  f: Factory<T>,
  e: KeyEntry<K, T>,
  budget: Budget<KeyEntry<K, T>>,
  o: { clock: Clock; createTimeoutMs: number; destroyTimeoutMs: number },
  hooks: EntryHooks<K, T>,
): Factory<T> {
  const { clock, createTimeoutMs: timeoutMs } = o;
  const w: Factory<T> = {
    async create(signal) {
      await budget.reserve(e, signal); // counts e.creating

      const ac = new AbortController();
      const onAbort = (): void => ac.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const timer =
        timeoutMs === Infinity
          ? null
          : clock.setTimer(() => ac.abort(new CreateError(`create timed out after ${timeoutMs} ms`)), timeoutMs, true);
      try {
        // A resource that arrives after the timeout is destroyed; its slot was given back already.
        return await abortable(
          () => f.create(ac.signal),
          ac.signal,
          (late) => destroyQuietly(f, late),
        );
      } catch (error) {
        budget.release(e);
        throw error;
      } finally {
        e.creating--;
        signal.removeEventListener('abort', onAbort);
        if (timer !== null) clock.clearTimer(timer);
      }
    },
    destroy(resource) {
      let out: Promise<void> | void;
      try {
        out = f.destroy(resource);
      } catch (error) {
        budget.release(e);
        throw error;
      }
      if (out === null || typeof out !== 'object' || typeof (out as PromiseLike<void>).then !== 'function') {
        budget.release(e);
        return out;
      }
      // The connection is open on the backend until its destroy settles: its slot stays taken until then.
      let held = true;
      const give = (): void => {
        if (!held) return;
        held = false;
        if (timer !== null) clock.clearTimer(timer);
        budget.release(e);
      };
      const ms = o.destroyTimeoutMs;
      const timer = ms === Infinity ? null : clock.setTimer(give, ms, false);
      return Promise.resolve(out).finally(give);
    },
  };
  if (f.validate) w.validate = (r, signal) => f.validate!(r, signal);
  if (f.watch) w.watch = (r, evict) => f.watch!(r, evict);
  if (f.isBroken) w.isBroken = (error, r) => f.isBroken!(error, r);
  if (f.reset) {
    w.reset = (r) => {
      const out = f.reset!(r);
      if (out !== null && typeof out === 'object' && typeof out.then === 'function') out.then(hooks.poke, hooks.poke);
      return out;
    };
  }
  return w;
}

function destroyQuietly<T>(f: Factory<T>, resource: T): void {
  if (resource === undefined || resource === null) return;
  try {
    Promise.resolve(f.destroy(resource)).catch(() => {});
  } catch {
    // reported nowhere: the pool never saw this resource
  }
}

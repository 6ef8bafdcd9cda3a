import { redactString } from '../core/util/redact.js';
import { PoolOptionsError } from '../core/errors.js';
import { checkSizes } from '../core/options.js';
import type { Budget } from './budget.js';
import { KeyEntry, type EntryHooks } from './entry.js';
import type { ResolvedKeyedOptions } from './options.js';
import { addStats, zeroTotals, type KeyedPoolTotals, type KeyStats } from './stats.js';
import type { CloseOptions, CloseReport } from '../core/pool.js';

/**
 * @internal The keys of a keyed pool, least recently used first: creates a key's entry on
 * first use, closes and forgets entries unused for `idlePoolTimeoutMs`, and keeps the
 * counters of closed key pools so totals stay cumulative.
 */
export class KeyRegistry<K, T> {
  readonly #options: ResolvedKeyedOptions<K, T>;
  readonly #budget: Budget<KeyEntry<K, T>>;
  readonly #hooks: EntryHooks<K, T>;
  readonly #entries = new Map<K, KeyEntry<K, T>>();
  readonly #closing = new Set<Promise<CloseReport>>();
  #retired: KeyedPoolTotals = zeroTotals();
  /** Sizes set by `resize(key, …)`, kept for a key's pool made again after it was swept. */
  readonly #sizes = new Map<K, { min: number; max: number }>();
  #sweepTimer: unknown = null;
  /** The entry last in `#entries` (most recently used), or null when unknown. */
  #newest: KeyEntry<K, T> | null = null;
  #stopped = false;
  created = 0;
  closed = 0;

  constructor(o: ResolvedKeyedOptions<K, T>, budget: Budget<KeyEntry<K, T>>, hooks: EntryHooks<K, T>) {
    this.#options = o;
    this.#budget = budget;
    this.#hooks = hooks;
  }

  /** Open key pools. */
  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The key's entry, made now on first use (exactly once: this is synchronous). */
  entry(key: K): KeyEntry<K, T> {
    let e = this.#entries.get(key);
    if (e === undefined) {
      e = new KeyEntry<K, T>(key, this.#options, this.#budget, this.#hooks, this.#sizes.get(key));
      this.#entries.set(key, e);
      this.#newest = e;
      this.created++;
      this.#armSweep();
    }
    return e;
  }

  /**
   * Marks `e` used now: last to be swept, last to lose an idle resource. `stamp`: the key
   * starts or stops being used (nothing pending or borrowed before or after), so
   * `lastUsed` is read off the clock; while a key is in use the sweep counts it as used
   * now, so a busy key's borrows and releases skip the clock read.
   */
  touch(e: KeyEntry<K, T>, stamp: boolean): void {
    if (stamp) e.lastUsed = this.#options.clock.now();
    // Already the most recently used (one key used over and over): nothing moves.
    if (this.#newest !== e) {
      // A lease of a retired entry may come back after its key was made again: leave the new one be.
      if (this.#entries.get(e.key) === e) {
        this.#entries.delete(e.key);
        this.#entries.set(e.key, e);
        this.#newest = e;
      }
    }
    this.#budget.touch(e);
  }

  /** Closes a key's pool and forgets the key; its counters go into the totals. */
  retire(e: KeyEntry<K, T>, options?: CloseOptions): true {
    if (this.#entries.get(e.key) === e) this.#entries.delete(e.key);
    if (this.#newest === e) this.#newest = null;
    const p = e.pool.close(options).then((report) => {
      this.#closing.delete(p);
      this.closed++;
      addStats(this.#retired, e.pool.stats(), false);
      return report;
    });
    this.#closing.add(p);
    return true;
  }

  /** Retires every key and resolves once every key pool (also those retired before) is closed. */
  closeAll(options: CloseOptions): Promise<CloseReport> {
    this.#stopped = true;
    if (this.#sweepTimer !== null) this.#options.clock.clearTimer(this.#sweepTimer);
    this.#sweepTimer = null;
    for (const e of [...this.#entries.values()]) this.retire(e, options);
    return Promise.all([...this.#closing]).then((reports) => ({
      forced: reports.reduce((n, r) => n + r.forced, 0),
      unsettledDestroys: reports.reduce((n, r) => n + r.unsettledDestroys, 0),
    }));
  }

  /** Totals (closed key pools included) and every open key pool's stats. */
  stats(): { total: KeyedPoolTotals; perKey: KeyStats<K>[] } {
    const total = { ...this.#retired, destroyedBy: { ...this.#retired.destroyedBy } };
    const perKey: KeyStats<K>[] = [];
    for (const e of this.#entries.values()) {
      const s = e.pool.stats();
      addStats(total, s, true);
      // A key that is a connection string is shown without its credentials (stats are printed and exported).
      perKey.push({ ...s, key: typeof e.key === 'string' ? (redactString(e.key) as K) : e.key });
    }
    return { total, perKey };
  }

  /** Checks and sets `key`'s sizes (`keyedPool.resize`): now if its pool is open, and whenever it is made again. */
  resize(key: K, sizes: { min?: number; max?: number }): void {
    const o = this.#options;
    const now = this.sizesOf(key) ?? o.perKeyFor(key, o.keyName(key));
    const { min, max } = checkSizes(sizes, now);
    if (min > o.maxTotal) throw new PoolOptionsError(`min: expected at most maxTotal (${o.maxTotal}), got ${min}`);
    this.#sizes.set(key, { min, max });
    this.#entries.get(key)?.resize(min, max);
  }

  /** The sizes `key`'s pool has now or will be made with (null: its options', not known before it is made). */
  sizesOf(key: K): { min: number; max: number } | null {
    return this.#entries.get(key)?.sizes ?? this.#sizes.get(key) ?? null;
  }

  /** Zeroes the counters of every open key pool and the totals kept for closed ones. */
  resetStats(): void {
    this.#retired = zeroTotals();
    this.created = this.closed = 0;
    for (const e of this.#entries.values()) e.pool.resetStats();
  }

  values(): IterableIterator<KeyEntry<K, T>> {
    return this.#entries.values();
  }

  #armSweep(): void {
    const ms = this.#options.idlePoolTimeoutMs;
    if (ms === 0 || this.#sweepTimer !== null || this.#stopped) return;
    const first = this.#entries.values().next().value;
    if (first === undefined) return;
    // Sweep when the least recently used key expires, but at most 16 times per timeout.
    const delay = Math.max(first.lastUsed + ms - this.#options.clock.now(), ms / 16, 1);
    this.#sweepTimer = this.#options.clock.setTimer(() => this.#sweep(), Math.ceil(delay), false);
  }

  #sweep(): void {
    this.#sweepTimer = null;
    const now = this.#options.clock.now();
    for (const e of this.#entries.values()) {
      if (e.lastUsed + this.#options.idlePoolTimeoutMs > now) break;
      if (e.pending > 0 || e.borrowed > 0) this.touch(e, true);
      else this.retire(e);
    }
    this.#armSweep();
  }
}

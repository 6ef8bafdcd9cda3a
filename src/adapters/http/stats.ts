import type { BudgetStats } from '../../budget/budget.js';
import type { KeyedPoolTotals } from '../../keyed/stats.js';
import type { PoolStats } from '../../stats/counters.js';

/** What lido/http counts per origin, on top of the pool's own stats. */
export interface HttpCounters {
  /** Requests dispatched (a retry is not a second request). */
  requests: number;
  /** Retries: idempotent requests sent again on another connection after their socket closed under them. */
  retries: number;
  /** Responses reported because their body was left unread (`leakDetectionMs`). */
  leaks: number;
}

/** One origin's connection pool: the core {@link PoolStats} (a connection is a resource) plus the request counters. */
export type HttpOriginStats = PoolStats &
  HttpCounters & {
    /** The origin, as undici writes it: `https://api.example.com`. */
    origin: string;
    /** True for an origin listed in the `origins` option. */
    configured: boolean;
  };

/** Sums over every origin (the counters include origins' pools already closed). */
export type HttpPoolTotals = KeyedPoolTotals & HttpCounters;

/** What `httpPool.stats()` returns. */
export interface HttpPoolStats {
  /** The pool's name (option `name`). */
  name: string;
  /** Requests dispatched and not finished yet: waiting for a connection or in flight. */
  inFlight: number;
  /** The cap over origins not listed in `origins` (option `maxTotal`). */
  maxTotal: number;
  /** Connections counted against `maxTotal` (connecting ones included). */
  live: number;
  /** Connects waiting for room under `maxTotal`. */
  budgetWaiting: number;
  /** The budget every origin's pool shares (option `budget`), as this process sees it; null without one. */
  budget: BudgetStats | null;
  /** Sums over every origin. */
  total: HttpPoolTotals;
  /** Every open origin's stats, by origin. */
  origins: Record<string, HttpOriginStats>;
}

const zero = (): HttpCounters => ({ requests: 0, retries: 0, leaks: 0 });

/**
 * @internal Request counters per origin and in total. An origin's entry is forgotten with
 * its pool (`prune`), so memory stays bounded however many origins pass through.
 */
export class CounterBook {
  readonly total = zero();
  readonly #byOrigin = new Map<string, HttpCounters>();
  #sweepAt = 64;

  /** The origin's counters, made on first use; entries of origins `open` says are gone are dropped now and then. */
  of(origin: string, open: (origin: string) => boolean): HttpCounters {
    let c = this.#byOrigin.get(origin);
    if (c === undefined) {
      if (this.#byOrigin.size >= this.#sweepAt) {
        this.prune(open);
        this.#sweepAt = Math.max(64, this.#byOrigin.size * 2);
      }
      this.#byOrigin.set(origin, (c = zero()));
    }
    return c;
  }

  /** Read-only lookup: zeros for an origin never counted. */
  peek(origin: string): HttpCounters {
    return this.#byOrigin.get(origin) ?? zero();
  }

  get size(): number {
    return this.#byOrigin.size;
  }

  /** Drops the entries of origins `open` says are gone. */
  prune(open: (origin: string) => boolean): void {
    for (const origin of this.#byOrigin.keys()) if (!open(origin)) this.#byOrigin.delete(origin);
  }
}

/** @internal Adds `s`'s gauges and counters into `t` (every numeric field `t` has). */
export function addInto(t: KeyedPoolTotals, s: PoolStats): void {
  const target = t as unknown as Record<string, number>;
  const source = s as unknown as Record<string, unknown>;
  for (const k of Object.keys(target)) {
    const v = source[k];
    if (typeof v === 'number') target[k] += v;
  }
  // Destroys by reason are summed too (a configured origin's own pool is not in the keyed totals).
  t.destroyedBy = { ...t.destroyedBy };
  for (const k of Object.keys(t.destroyedBy) as (keyof typeof t.destroyedBy)[]) t.destroyedBy[k] += s.destroyedBy[k];
}

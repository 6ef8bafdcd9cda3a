import type { BudgetStats } from '../budget/budget.js';
import { type DestroyedBy, type DestroyReason, noDestroys, type PoolStats } from '../stats/counters.js';

/** Sums over a keyed pool's key pools, as returned in `keyedPool.stats().total`. */
export interface KeyedPoolTotals {
  /** Live resources of open key pools: creating + idle + borrowed + being checked. */
  size: number;
  /** Idle resources of open key pools. */
  idle: number;
  /** Leases out, over all keys. */
  borrowed: number;
  /** Acquires waiting, over all keys. */
  pending: number;
  /** Creates in flight (past the budget, or waiting for it). */
  creating: number;
  /** Resources being validated or reset. */
  checking: number;
  /** Destroys not settled yet, still counted against each key's limit. */
  closing: number;
  /** Resources created. This and the counters below are cumulative: they include key pools already closed. See `PoolStats`. */
  created: number;
  /** Resources destroyed. */
  destroyed: number;
  /** Resources destroyed, by reason (see `PoolStats.destroyedBy`). */
  destroyedBy: DestroyedBy;
  /** Leases handed out. */
  acquired: number;
  /** Leases given back. */
  released: number;
  /** Acquires that timed out waiting (`acquireTimeoutMs`). */
  timeouts: number;
  /** Creates that failed. */
  createErrors: number;
  /** Resources destroyed because validation failed. */
  validationFailures: number;
  /** Resources destroyed because their reset on release failed. */
  resetFailures: number;
  /** Leases held longer than `leakDetectionMs` (each counted once). */
  leaks: number;
  /** Acquires rejected at once because the queue was full. */
  rejected: number;
  /** Acquires aborted through their signal. */
  aborted: number;
}

/** One key's pool stats, with its key. */
export type KeyStats<K> = PoolStats & {
  /** The key this pool serves (a string key without a URL's credentials). */
  key: K;
};

/** What `keyedPool.stats()` returns: the global budget, totals, and every key's pool. */
export interface KeyedPoolStats<K> {
  /** The keyed pool's name. */
  name: string;
  /** Key pools open now. */
  keys: number;
  /** The global cap (option `maxTotal`). */
  maxTotal: number;
  /** Resources alive across keys, counted against `maxTotal` (creating ones included). */
  live: number;
  /** Creates waiting for room under `maxTotal`. */
  budgetWaiting: number;
  /**
   * The budget every key's pool shares (option `budget`), as this process sees it: `held`
   * and `waiting` summed over the process's pools in it. Null without a budget.
   */
  budget: BudgetStats | null;
  /** Resources busy keys will give back at their next release, for keys waiting for room. */
  owed: number;
  /** Idle resources destroyed to make room for another key. */
  evictions: number;
  /** Times a busy key was made to give a resource back to a waiting key. */
  reclaims: number;
  /** Key pools created. */
  poolsCreated: number;
  /** Key pools closed (idle too long, evicted, or at close). */
  poolsClosed: number;
  /** Sums over key pools. */
  total: KeyedPoolTotals;
  /** Every open key pool's stats, least recently used first. */
  perKey: KeyStats<K>[];
}

const COUNTERS = [
  'created',
  'destroyed',
  'acquired',
  'released',
  'timeouts',
  'createErrors',
  'validationFailures',
  'resetFailures',
  'leaks',
  'rejected',
  'aborted',
] as const;
const GAUGES = ['size', 'idle', 'borrowed', 'pending', 'creating', 'checking', 'closing'] as const;

/** @internal Empty totals. */
export function zeroTotals(): KeyedPoolTotals {
  const t = {} as KeyedPoolTotals;
  for (const k of GAUGES) t[k] = 0;
  for (const k of COUNTERS) t[k] = 0;
  t.destroyedBy = noDestroys();
  return t;
}

/** @internal Adds a pool's counters (and, when `gauges`, its current counts) into `t`. */
export function addStats(t: KeyedPoolTotals, s: PoolStats, gauges: boolean): void {
  for (const k of COUNTERS) t[k] += s[k];
  for (const k of Object.keys(t.destroyedBy) as DestroyReason[]) t.destroyedBy[k] += s.destroyedBy[k];
  if (gauges) for (const k of GAUGES) t[k] += s[k];
}

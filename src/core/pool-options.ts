/**
 * The options of {@link Pool}, as a user writes them. Their validation and defaults are
 * in options.ts.
 */
import type { Budget } from '../budget/budget.js';
import type { AutoSizeOptions } from '../sizing/options.js';
import type { HealthOptions } from '../stats/health-options.js';
import type { Factory } from './factory.js';
import type { Clock } from './util/clock.js';

/** Backoff for failed creates: the n-th consecutive failure waits about `baseMs * 2^(n-1)`, capped. */
export interface CreateRetryOptions {
  /** First delay after a failed create, in ms. Default 100. */
  baseMs?: number;
  /** Largest delay, in ms. Default 10 000. */
  capMs?: number;
}

/** Options of {@link Pool}. Every duration is in milliseconds. */
export interface PoolOptions<T> {
  /** How to create, validate, reset and destroy one resource. Required. */
  factory: Factory<T>;
  /** Name shown in errors, stats and metrics. Default `pool-<n>`. */
  name?: string;
  /** Resources kept alive even when idle. Default 0. */
  min?: number;
  /**
   * `true`: `min` resources are opened at start and reopened after removals. `false`: `min`
   * is only a floor for idle reaping (pg.Pool's meaning): nothing is opened for it except
   * by `ready()`, which opens it once. Default true.
   */
  keepMin?: boolean;
  /** Most resources alive at once (creating + idle + borrowed + validating). Default 10. */
  max?: number;
  /** Longest an acquire waits before `AcquireTimeoutError`; `Infinity` waits forever. Default 30 000. */
  acquireTimeoutMs?: number;
  /** Longest a create may take before its signal aborts. Default = `acquireTimeoutMs`. */
  createTimeoutMs?: number;
  /** Idle resources above `min` are destroyed after this long; 0 = never. Default 600 000. */
  idleTimeoutMs?: number;
  /** Resources are retired after this age (up to 10 % earlier, at random); 0 = never. Default 1 800 000. */
  maxLifetimeMs?: number;
  /** Idle resources are validated on this period and replaced if dead; 0 = off. Default 0. */
  keepaliveMs?: number;
  /** An acquire validates a resource only if it was idle longer than this; 0 = always. Default 500. */
  validateAfterIdleMs?: number;
  /** Longest a validation may take; a slower one counts as failed. Default 5 000. */
  validateTimeoutMs?: number;
  /** Longest a reset may take; a slower one destroys the resource. Default = `validateTimeoutMs`. */
  resetTimeoutMs?: number;
  /** Most queued acquires; beyond it acquire rejects at once with `QueueFullError`. Default Infinity. */
  maxWaiting?: number;
  /** A resource is destroyed after this many leases. Default Infinity. */
  maxUses?: number;
  /** Which idle resource is handed out first: most recently (`lifo`) or least recently used (`fifo`). Default `lifo`. */
  order?: 'lifo' | 'fifo';
  /** A lease held longer than this is reported with its acquire stack; 0 = off. Default 0. */
  leakDetectionMs?: number;
  /** Backoff between failed creates (exponential with jitter). */
  createRetry?: CreateRetryOptions;
  /** `true`: while creates fail, waiters reject with the create error at once. Default false. */
  failFast?: boolean;
  /** Most creates in flight at once. Default 2. */
  maxConcurrentCreates?: number;
  /** `true`: the pool's timers never keep the process alive while it is idle. Default true. */
  allowExitOnIdle?: boolean;
  /**
   * A destroy that has not settled after this long stops counting against `max` and is
   * reported (event `error`, `ERR_POOL_DESTROY_TIMEOUT`); `Infinity` waits forever. Default 5 000.
   */
  destroyTimeoutMs?: number;
  /**
   * A pool timer that fires this much late, or a wall clock that moved this much further than
   * the monotonic clock between two firings, means the process was frozen: every idle resource
   * is validated before it is lent again (destroyed where the factory has no `validate`), and
   * the pool emits `thaw`. 0 = off. Default 5 000.
   */
  thawAfterMs?: number;
  /** A cap shared with other pools (`localBudget()`) or processes (`redisBudget()`): a permit per create, back when its destroy settled. Default: none. */
  budget?: Budget;
  /**
   * `true` (or tuning, see {@link AutoSizeOptions}): the pool moves its effective limit
   * (`stats().limit`) between `min` and `max` from the load it sees, and never grows
   * while hold times rise (docs/sizing.md). Default false: the limit is `max`.
   */
  autoSize?: boolean | AutoSizeOptions;
  /** The bands `health()` judges by (see {@link HealthOptions}); what is left out keeps its default. */
  health?: HealthOptions;
  /** `false`, the kill switch: a fresh resource per lease, destroyed on release; `min` and `keepaliveMs` taken as 0. Default true. */
  pooling?: boolean;
  /** Time source (tests inject a manual clock). Default: `performance.now()` and Node timers. */
  clock?: Clock;
  /** Random source in [0, 1) for jitter (tests inject a fixed one). Default `Math.random`. */
  random?: () => number;
}

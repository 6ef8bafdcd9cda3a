import type { Clock } from './util/clock.js';
import { systemClock } from './util/clock.js';
import { PoolOptionsError } from './errors.js';
import { checkDuration, checkInt, describe, fail, rejectUnknown } from './util/check.js';
import type { Factory } from './factory.js';
import { envSourcesOf } from '../config/sources.js';
import { type AutoSizeOptions, type ResolvedAutoSize, resolveAutoSize } from '../sizing/options.js';

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
  /**
   * `true` (or tuning, see {@link AutoSizeOptions}): the pool moves its effective limit
   * (`stats().limit`) between `min` and `max` from the load it sees, and never grows
   * while hold times rise (docs/sizing.md). Default false: the limit is `max`.
   */
  autoSize?: boolean | AutoSizeOptions;
  /** Time source (tests inject a manual clock). Default: `performance.now()` and Node timers. */
  clock?: Clock;
  /** Random source in [0, 1) for jitter (tests inject a fixed one). Default `Math.random`. */
  random?: () => number;
}

/** Options after defaults and validation. */
export interface ResolvedOptions<T> {
  factory: Factory<T>;
  name: string;
  min: number;
  keepMin: boolean;
  max: number;
  acquireTimeoutMs: number;
  createTimeoutMs: number;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  keepaliveMs: number;
  validateAfterIdleMs: number;
  validateTimeoutMs: number;
  resetTimeoutMs: number;
  maxWaiting: number;
  maxUses: number;
  order: 'lifo' | 'fifo';
  leakDetectionMs: number;
  createRetry: Required<CreateRetryOptions>;
  failFast: boolean;
  maxConcurrentCreates: number;
  allowExitOnIdle: boolean;
  destroyTimeoutMs: number;
  thawAfterMs: number;
  /** `autoSize` tuning; false when off. */
  autoSize: ResolvedAutoSize | false;
  clock: Clock;
  random: () => number;
  /** Options read from the environment, by variable (`poolOptionsFromEnv`); shown by `config()`. */
  fromEnv: Record<string, string> | undefined;
}

const KNOWN = new Set([
  'factory',
  'name',
  'min',
  'max',
  'acquireTimeoutMs',
  'createTimeoutMs',
  'idleTimeoutMs',
  'maxLifetimeMs',
  'keepaliveMs',
  'validateAfterIdleMs',
  'validateTimeoutMs',
  'resetTimeoutMs',
  'maxWaiting',
  'maxUses',
  'order',
  'leakDetectionMs',
  'createRetry',
  'failFast',
  'maxConcurrentCreates',
  'allowExitOnIdle',
  'destroyTimeoutMs',
  'thawAfterMs',
  'autoSize',
  'clock',
  'random',
  'keepMin',
]);

/** Default values of every option that has one. */
export const defaults = {
  /** Resources kept alive even when idle: none. */
  min: 0,
  /** `min` is opened at start and kept open. */
  keepMin: true,
  /** Most resources alive at once. */
  max: 10,
  /** Longest an acquire waits, ms (30 s). */
  acquireTimeoutMs: 30_000,
  /** Idle resources above `min` are destroyed after this long, ms (10 min). */
  idleTimeoutMs: 600_000,
  /** Resources are retired after this age, ms (30 min). */
  maxLifetimeMs: 1_800_000,
  /** Keepalive validation period, ms: 0 = off. */
  keepaliveMs: 0,
  /** An acquire validates a resource idle longer than this, ms. */
  validateAfterIdleMs: 500,
  /** Longest a validation may take, ms (5 s). */
  validateTimeoutMs: 5_000,
  /** Most queued acquires: unbounded. */
  maxWaiting: Infinity,
  /** Leases per resource before it is destroyed: unlimited. */
  maxUses: Infinity,
  /** Most recently used idle resource first. */
  order: 'lifo',
  /** Lease leak detection threshold, ms: 0 = off. */
  leakDetectionMs: 0,
  /** Backoff between failed creates. */
  createRetry: {
    /** First delay after a failed create, ms. */
    baseMs: 100,
    /** Largest delay, ms (10 s). */
    capMs: 10_000,
  },
  /** Waiters keep waiting while creates fail. */
  failFast: false,
  /** Most creates in flight at once. */
  maxConcurrentCreates: 2,
  /** The pool's timers do not keep the process alive while it is idle. */
  allowExitOnIdle: true,
  /** A destroy stops counting against `max` after this long, ms (5 s). */
  destroyTimeoutMs: 5_000,
  /** A timer this late, or a wall-clock jump this large, is a thaw, ms (5 s). */
  thawAfterMs: 5_000,
} as const;

// The checkers live in util/check.ts; the keyed pool, the cluster and the adapters import them from here.
export { checkDuration, checkInt, describe, rejectUnknown } from './util/check.js';

let poolCounter = 0;

function pick<K extends keyof typeof defaults>(o: Record<string, unknown>, k: K): unknown {
  return o[k] === undefined ? defaults[k] : o[k];
}

/** `resize()`'s argument, checked: the new `min` and `max` (what is left out stays, `min` lowered to `max`). */
export function checkSizes(
  sizes: { min?: number; max?: number },
  now: { min: number; max: number },
): { min: number; max: number } {
  if (sizes === null || typeof sizes !== 'object')
    throw new PoolOptionsError(`resize: expected { min?, max? }, got ${describe(sizes)}`);
  const max = sizes.max === undefined ? now.max : checkInt('max', sizes.max, 1);
  const min = sizes.min === undefined ? Math.min(now.min, max) : checkInt('min', sizes.min, 0);
  if (min > max) throw new PoolOptionsError(`min: expected at most max (${max}), got ${min}`);
  return { min, max };
}

/** Validates options eagerly and fills in defaults. Throws {@link PoolOptionsError}. */
export function resolveOptions<T>(input: PoolOptions<T>): ResolvedOptions<T> {
  if (input === null || typeof input !== 'object') fail('options', 'an object', input);
  const o = input as unknown as Record<string, unknown>;
  rejectUnknown('Pool options', o, KNOWN);

  const factory = o.factory as Factory<T> | undefined;
  if (factory === null || typeof factory !== 'object')
    fail('factory', 'an object with create() and destroy()', factory);
  if (typeof factory.create !== 'function') fail('factory.create', 'a function', factory.create);
  if (typeof factory.destroy !== 'function') fail('factory.destroy', 'a function', factory.destroy);
  for (const hook of ['validate', 'reset', 'watch', 'isBroken'] as const) {
    if (factory[hook] !== undefined && typeof factory[hook] !== 'function')
      fail(`factory.${hook}`, 'a function or undefined', factory[hook]);
  }

  const name = o.name === undefined ? `pool-${++poolCounter}` : o.name;
  if (typeof name !== 'string' || name.length === 0) fail('name', 'a non-empty string', name);

  const max = checkInt('max', pick(o, 'max'), 1);
  const min = checkInt('min', pick(o, 'min'), 0);
  if (min > max) throw new PoolOptionsError(`min: expected at most max (${max}), got ${min}`);

  const acquireTimeoutMs = checkDuration('acquireTimeoutMs', pick(o, 'acquireTimeoutMs'), true, true);
  const createTimeoutMs = checkDuration('createTimeoutMs', o.createTimeoutMs ?? acquireTimeoutMs, true, true);
  const validateTimeoutMs = checkDuration('validateTimeoutMs', pick(o, 'validateTimeoutMs'), true, true);
  const resetTimeoutMs = checkDuration('resetTimeoutMs', o.resetTimeoutMs ?? validateTimeoutMs, true, true);

  const order = pick(o, 'order');
  if (order !== 'lifo' && order !== 'fifo') fail('order', '"lifo" or "fifo"', order);

  const retry = (o.createRetry ?? {}) as Record<string, unknown>;
  if (retry === null || typeof retry !== 'object') fail('createRetry', 'an object { baseMs, capMs }', retry);
  rejectUnknown('createRetry', retry, new Set(['baseMs', 'capMs']));
  const baseMs = checkDuration('createRetry.baseMs', retry.baseMs ?? defaults.createRetry.baseMs, true);
  const capMs = checkDuration('createRetry.capMs', retry.capMs ?? defaults.createRetry.capMs, true);
  if (capMs < baseMs)
    throw new PoolOptionsError(`createRetry.capMs: expected at least baseMs (${baseMs}), got ${capMs}`);

  const bool = (k: 'failFast' | 'allowExitOnIdle' | 'keepMin'): boolean => {
    const v = pick(o, k);
    if (typeof v !== 'boolean') fail(k, 'a boolean', v);
    return v;
  };

  const clock = (o.clock ?? systemClock) as Clock;
  if (
    typeof clock?.now !== 'function' ||
    typeof clock.setTimer !== 'function' ||
    typeof clock.clearTimer !== 'function'
  ) {
    fail('clock', 'a Clock { now, setTimer, clearTimer }', clock);
  }
  if (clock.wallNow !== undefined && typeof clock.wallNow !== 'function')
    fail('clock.wallNow', 'a function or undefined', clock.wallNow);
  const random = (o.random ?? Math.random) as () => number;
  if (typeof random !== 'function') fail('random', 'a function returning [0, 1)', random);

  const keepaliveMs = checkDuration('keepaliveMs', pick(o, 'keepaliveMs'));
  if (keepaliveMs > 0 && typeof factory.validate !== 'function') {
    throw new PoolOptionsError(
      `keepaliveMs: expected 0 when the factory has no validate() (a keepalive is a validation), got ${keepaliveMs}`,
    );
  }

  return {
    factory,
    name,
    min,
    keepMin: bool('keepMin'),
    max,
    acquireTimeoutMs,
    createTimeoutMs,
    idleTimeoutMs: checkDuration('idleTimeoutMs', pick(o, 'idleTimeoutMs')),
    maxLifetimeMs: checkDuration('maxLifetimeMs', pick(o, 'maxLifetimeMs')),
    keepaliveMs,
    validateAfterIdleMs: checkDuration('validateAfterIdleMs', pick(o, 'validateAfterIdleMs')),
    validateTimeoutMs,
    resetTimeoutMs,
    maxWaiting: checkInt('maxWaiting', pick(o, 'maxWaiting'), 0, true),
    maxUses: checkInt('maxUses', pick(o, 'maxUses'), 1, true),
    order,
    leakDetectionMs: checkDuration('leakDetectionMs', pick(o, 'leakDetectionMs')),
    createRetry: { baseMs, capMs },
    failFast: bool('failFast'),
    maxConcurrentCreates: checkInt('maxConcurrentCreates', pick(o, 'maxConcurrentCreates'), 1),
    allowExitOnIdle: bool('allowExitOnIdle'),
    destroyTimeoutMs: checkDuration('destroyTimeoutMs', pick(o, 'destroyTimeoutMs'), true, true),
    thawAfterMs: checkDuration('thawAfterMs', pick(o, 'thawAfterMs')),
    autoSize: resolveAutoSize(o.autoSize),
    clock,
    random,
    fromEnv: envSourcesOf(input),
  };
}

import type { Clock } from './util/clock.js';
import { systemClock } from './util/clock.js';
import { PoolOptionsError } from './errors.js';
import { checkDuration, checkInt, describe, fail, rejectUnknown } from './util/check.js';
import type { Factory } from './factory.js';
import { envSourcesOf } from '../config/sources.js';
import type { Budget } from '../budget/budget.js';
import { checkBudget } from './budget-link.js';
import { type ResolvedAutoSize, resolveAutoSize } from '../sizing/options.js';
import { type HealthBands, resolveHealth } from '../stats/health-options.js';
import type { CreateRetryOptions, PoolOptions } from './pool-options.js';

export type { CreateRetryOptions, PoolOptions } from './pool-options.js';

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
  /** Option `budget`, or null. */
  budget: Budget | null;
  /** `autoSize` tuning; false when off. */
  autoSize: ResolvedAutoSize | false;
  health: HealthBands;
  pooling: boolean;
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
  'budget',
  'autoSize',
  'clock',
  'random',
  'keepMin',
  'health',
  'pooling',
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
  /** Resources are pooled (`false`: the kill switch). */
  pooling: true,
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

  const bool = (k: 'failFast' | 'allowExitOnIdle' | 'keepMin' | 'pooling'): boolean => {
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

  // The kill switch: nothing is kept, so nothing is kept warm.
  const pooling = bool('pooling');
  return {
    factory,
    name,
    min: pooling ? min : 0,
    keepMin: bool('keepMin'),
    max,
    acquireTimeoutMs,
    createTimeoutMs,
    idleTimeoutMs: checkDuration('idleTimeoutMs', pick(o, 'idleTimeoutMs')),
    maxLifetimeMs: checkDuration('maxLifetimeMs', pick(o, 'maxLifetimeMs')),
    keepaliveMs: pooling ? keepaliveMs : 0,
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
    budget: checkBudget(o.budget),
    autoSize: resolveAutoSize(o.autoSize),
    health: resolveHealth(o.health),
    pooling,
    clock,
    random,
    fromEnv: envSourcesOf(input),
  };
}

/** What `config()` shows: the effective options, the factory by its hook names, a budget by its name. */
export function shownOptions<T>(options: ResolvedOptions<T>): Record<string, unknown> {
  const { factory, clock, random, fromEnv, budget, ...rest } = options;
  // Hook names, looked up (not listed with Object.keys) so class-based factories show theirs too.
  const hooks = ['create', 'destroy', 'validate', 'reset', 'watch', 'isBroken'] as const;
  return {
    ...rest,
    factory: hooks.filter((k) => typeof factory[k] === 'function'),
    // The budget by its name: a fleet budget's object holds its store's connection options.
    budget: budget === null ? null : budget.name,
    ...(fromEnv && { fromEnv }),
  };
}

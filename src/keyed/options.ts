import { redactString } from '../core/util/redact.js';
import { systemClock, type Clock } from '../core/util/clock.js';
import { PoolOptionsError } from '../core/errors.js';
import type { Factory } from '../core/factory.js';
import { checkDuration, checkInt, describe, rejectUnknown, resolveOptions, type PoolOptions } from '../core/options.js';
import type { Budget } from '../budget/budget.js';
import { checkBudget } from '../core/budget-link.js';

/** Options of each key's pool: every {@link PoolOptions} except `factory`, `name`, `clock` and `budget`. */
export type PerKeyOptions<T> = Omit<PoolOptions<T>, 'factory' | 'name' | 'clock' | 'budget'>;

/** Options of {@link KeyedPool}. Every duration is in milliseconds. */
export interface KeyedPoolOptions<K, T> {
  /** Called once per key, when the key is first used: how to make that key's resources. Required. */
  factory: (key: K) => Factory<T>;
  /** Options of every key's pool (`max` is per key). Default: the {@link Pool} defaults. */
  perKey?: PerKeyOptions<T>;
  /** Most live resources across all keys (creating + idle + borrowed + checking). Default Infinity. */
  maxTotal?: number;
  /**
   * A budget every key's pool takes its permits from (`localBudget()`, or `redisBudget()`
   * across processes): each create of any key takes one. Applies with `maxTotal`, which
   * stays this keyed pool's own cap. Default: none.
   */
  budget?: Budget;
  /** A key's pool unused for this long is closed and forgotten; 0 = never. Default 300 000. */
  idlePoolTimeoutMs?: number;
  /** Name shown in errors and stats; each key's pool is named `<name>[<key>]`. Default `keyed-<n>`. */
  name?: string;
  /** How a key is shown in pool names (and so in errors, stats and metrics). Default `String(key)` without a URL's credentials. */
  keyName?: (key: K) => string;
  /** Time source shared by every key's pool (tests inject a manual clock). Default: the system clock. */
  clock?: Clock;
}

/** @internal Options after defaults and validation. */
export interface ResolvedKeyedOptions<K, T> {
  factory: (key: K) => Factory<T>;
  perKey: PerKeyOptions<T>;
  /** `perKey.max` and `perKey.min` after defaults. */
  max: number;
  min: number;
  /** `perKey.createTimeoutMs` after defaults: applied after the global budget is reserved. */
  createTimeoutMs: number;
  maxTotal: number;
  /** `perKey.destroyTimeoutMs` after defaults: a slot under `maxTotal` is given back when a destroy settles or after this. */
  destroyTimeoutMs: number;
  budget: Budget | null;
  idlePoolTimeoutMs: number;
  name: string;
  keyName: (key: K) => string;
  clock: Clock;
}

const KNOWN = new Set(['factory', 'perKey', 'maxTotal', 'budget', 'idlePoolTimeoutMs', 'name', 'keyName', 'clock']);
let keyedCounter = 0;

const probe: Factory<unknown> = { create: () => Promise.resolve({}), destroy: () => {} };

/** @internal Validates `KeyedPool` options eagerly, naming the bad option. */
export function resolveKeyedOptions<K, T>(input: KeyedPoolOptions<K, T>): ResolvedKeyedOptions<K, T> {
  if (input === null || typeof input !== 'object')
    throw new PoolOptionsError(`KeyedPool options: expected an object, got ${describe(input)}`);
  rejectUnknown('KeyedPool options', input, KNOWN);
  if (typeof input.factory !== 'function')
    throw new PoolOptionsError(`factory: expected a function (key) => Factory, got ${describe(input.factory)}`);
  const perKey = (input.perKey ?? {}) as PerKeyOptions<T>;
  if (perKey === null || typeof perKey !== 'object')
    throw new PoolOptionsError(`perKey: expected an object of pool options, got ${describe(perKey)}`);
  for (const k of ['factory', 'name', 'clock', 'budget'] as const) {
    if (k in perKey)
      throw new PoolOptionsError(
        `perKey.${k}: not allowed per key; set ${k === 'factory' ? 'factory: (key) => Factory' : k} at the top level`,
      );
  }
  const clock = input.clock ?? systemClock;
  let resolved: ReturnType<typeof resolveOptions<unknown>>;
  try {
    // Validate perKey now, with the same rules a key's pool applies later.
    resolved = resolveOptions({ ...(perKey as PoolOptions<unknown>), factory: probe, name: 'perKey', clock });
  } catch (e) {
    if (!(e instanceof PoolOptionsError)) throw e;
    throw new PoolOptionsError(
      e.message.startsWith('Pool options: ') ? `perKey: ${e.message.slice(14)}` : `perKey.${e.message}`,
    );
  }
  const name = input.name ?? `keyed-${++keyedCounter}`;
  if (typeof name !== 'string' || name.length === 0)
    throw new PoolOptionsError(`name: expected a non-empty string, got ${describe(name)}`);
  // A key may be a connection string: its pools' names must not show the password.
  const keyName = input.keyName ?? ((key: K) => redactString(String(key)));
  if (typeof keyName !== 'function')
    throw new PoolOptionsError(`keyName: expected a function (key) => string, got ${describe(keyName)}`);
  const maxTotal = checkInt('maxTotal', input.maxTotal ?? Infinity, 1, true);
  if (resolved.min > maxTotal)
    throw new PoolOptionsError(`perKey.min: expected at most maxTotal (${maxTotal}), got ${resolved.min}`);
  return {
    factory: input.factory,
    perKey,
    max: resolved.max,
    min: resolved.min,
    createTimeoutMs: resolved.createTimeoutMs,
    maxTotal,
    destroyTimeoutMs: resolved.destroyTimeoutMs,
    budget: checkBudget(input.budget),
    idlePoolTimeoutMs: checkDuration('idlePoolTimeoutMs', input.idlePoolTimeoutMs ?? 300_000),
    name,
    keyName,
    clock,
  };
}

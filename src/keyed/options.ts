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
  /**
   * Options of every key's pool (`max` is per key), or a function of the key returning
   * them (tenants of different sizes), called when the key's pool is made and validated
   * then (an error names the key). Default: the {@link Pool} defaults.
   */
  perKey?: PerKeyOptions<T> | ((key: K) => PerKeyOptions<T>);
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
  /**
   * `false`: the kill switch for every key's pool (over `perKey.pooling`): each lease gets a
   * fresh resource, destroyed on release. Default: `perKey.pooling`, else true.
   */
  pooling?: boolean;
  /** Time source shared by every key's pool (tests inject a manual clock). Default: the system clock. */
  clock?: Clock;
}

/** @internal One key's pool options, validated, with the sizes the budget reads. */
export interface KeyOptions<T> {
  perKey: PerKeyOptions<T>;
  max: number;
  min: number;
  /** `perKey.createTimeoutMs` after defaults: applied after the global budget is reserved. */
  createTimeoutMs: number;
  /** `perKey.destroyTimeoutMs` after defaults: a slot under `maxTotal` is given back when a destroy settles or after this. */
  destroyTimeoutMs: number;
}

/** @internal Options after defaults and validation. */
export interface ResolvedKeyedOptions<K, T> {
  factory: (key: K) => Factory<T>;
  /** The options of `key`'s pool (`label`: the key as shown), validated: a `PoolOptionsError` names the key. */
  perKeyFor: (key: K, label: string) => KeyOptions<T>;
  maxTotal: number;
  budget: Budget | null;
  idlePoolTimeoutMs: number;
  name: string;
  keyName: (key: K) => string;
  clock: Clock;
}

const KNOWN = new Set([
  'factory',
  'perKey',
  'maxTotal',
  'budget',
  'idlePoolTimeoutMs',
  'name',
  'keyName',
  'pooling',
  'clock',
]);
let keyedCounter = 0;

const probe: Factory<unknown> = { create: () => Promise.resolve({}), destroy: () => {} };

/**
 * Validates one key's pool options (`where`: `perKey` or `perKey(<key>)`) with the rules a
 * key's pool applies, naming the option.
 */
function checkPerKey<T>(
  where: string,
  input: unknown,
  clock: Clock,
  maxTotal: number,
  pooling: boolean | undefined,
): KeyOptions<T> {
  const perKey = (input ?? {}) as PerKeyOptions<T>;
  if (perKey === null || typeof perKey !== 'object')
    throw new PoolOptionsError(`${where}: expected an object of pool options, got ${describe(perKey)}`);
  for (const k of ['factory', 'name', 'clock', 'budget'] as const) {
    if (k in perKey)
      throw new PoolOptionsError(
        `${where}.${k}: not allowed per key; set ${k === 'factory' ? 'factory: (key) => Factory' : k} at the top level`,
      );
  }
  const options = pooling === undefined ? perKey : { ...perKey, pooling };
  let resolved: ReturnType<typeof resolveOptions<unknown>>;
  try {
    resolved = resolveOptions({ ...(options as PoolOptions<unknown>), factory: probe, name: where, clock });
  } catch (e) {
    if (!(e instanceof PoolOptionsError)) throw e;
    throw new PoolOptionsError(
      e.message.startsWith('Pool options: ') ? `${where}: ${e.message.slice(14)}` : `${where}.${e.message}`,
    );
  }
  if (resolved.min > maxTotal)
    throw new PoolOptionsError(`${where}.min: expected at most maxTotal (${maxTotal}), got ${resolved.min}`);
  return {
    perKey: options,
    max: resolved.max,
    min: resolved.min,
    createTimeoutMs: resolved.createTimeoutMs,
    destroyTimeoutMs: resolved.destroyTimeoutMs,
  };
}

/** @internal Validates `KeyedPool` options eagerly, naming the bad option. */
export function resolveKeyedOptions<K, T>(input: KeyedPoolOptions<K, T>): ResolvedKeyedOptions<K, T> {
  if (input === null || typeof input !== 'object')
    throw new PoolOptionsError(`KeyedPool options: expected an object, got ${describe(input)}`);
  rejectUnknown('KeyedPool options', input, KNOWN);
  if (typeof input.factory !== 'function')
    throw new PoolOptionsError(`factory: expected a function (key) => Factory, got ${describe(input.factory)}`);
  const clock = input.clock ?? systemClock;
  const name = input.name ?? `keyed-${++keyedCounter}`;
  if (typeof name !== 'string' || name.length === 0)
    throw new PoolOptionsError(`name: expected a non-empty string, got ${describe(name)}`);
  // A key may be a connection string: its pools' names must not show the password.
  const keyName = input.keyName ?? ((key: K) => redactString(String(key)));
  if (typeof keyName !== 'function')
    throw new PoolOptionsError(`keyName: expected a function (key) => string, got ${describe(keyName)}`);
  const maxTotal = checkInt('maxTotal', input.maxTotal ?? Infinity, 1, true);
  const pooling = input.pooling;
  if (pooling !== undefined && typeof pooling !== 'boolean')
    throw new PoolOptionsError(`pooling: expected a boolean, got ${describe(pooling)}`);
  const perKey = input.perKey;
  let perKeyFor: (key: K, label: string) => KeyOptions<T>;
  if (typeof perKey === 'function') {
    perKeyFor = (key, label) => {
      const where = `perKey(${label})`;
      let options: unknown;
      try {
        options = perKey(key);
      } catch (e) {
        throw new PoolOptionsError(`${where}: threw ${e instanceof Error ? e.message : describe(e)}`);
      }
      return checkPerKey<T>(where, options, clock, maxTotal, pooling);
    };
  } else {
    // Validated now, with the same rules a key's pool applies later.
    const fixed = checkPerKey<T>('perKey', perKey, clock, maxTotal, pooling);
    perKeyFor = () => fixed;
  }
  return {
    factory: input.factory,
    perKeyFor,
    maxTotal,
    budget: checkBudget(input.budget),
    idlePoolTimeoutMs: checkDuration('idlePoolTimeoutMs', input.idlePoolTimeoutMs ?? 300_000),
    name,
    keyName,
    clock,
  };
}

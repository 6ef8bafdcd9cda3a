import { PoolOptionsError } from '../core/errors.js';
import { describe } from '../core/options.js';
import { parseBoolean, parseInteger, parseMillis, parseOrder, parseSeconds, badValue } from './env-values.js';
import { attachEnvSources, type EnvSource } from './sources.js';

/** Code of the process warning that names variables under the prefix that are not read. */
export const LIDO_ENV_UNKNOWN = 'LIDO_ENV_UNKNOWN';

/**
 * Pool options read from the environment by {@link poolOptionsFromEnv}. Only the options
 * a variable set are present, so the object spreads into any pool's options.
 */
export interface EnvPoolOptions {
  /** `<PREFIX>_MIN`, or `<PREFIX>_SIZE`. */
  min?: number;
  /** `<PREFIX>_MAX` / `<PREFIX>_MAX_CONNECTIONS`, or `<PREFIX>_SIZE` + `<PREFIX>_OVERFLOW`. */
  max?: number;
  /** `<PREFIX>_ACQUIRE_TIMEOUT_MS`, or `<PREFIX>_TIMEOUT` (seconds). */
  acquireTimeoutMs?: number;
  /** `<PREFIX>_IDLE_TIMEOUT_MS`. */
  idleTimeoutMs?: number;
  /** `<PREFIX>_MAX_LIFETIME_MS`, or `<PREFIX>_RECYCLE` (seconds). */
  maxLifetimeMs?: number;
  /** `<PREFIX>_VALIDATE_AFTER_IDLE_MS`, or 0 from `<PREFIX>_PRE_PING=true`. */
  validateAfterIdleMs?: number;
  /** `<PREFIX>_MAX_WAITING`. */
  maxWaiting?: number;
  /** `<PREFIX>_ORDER`, or `<PREFIX>_USE_LIFO`. */
  order?: 'lifo' | 'fifo';
  /** `false` from `<PREFIX>_DISABLED=1`: the kill switch (every lease gets a fresh resource). */
  pooling?: false;
}

/** SQLAlchemy's defaults, used when only one of `_SIZE` / `_OVERFLOW` is set. */
const SQLALCHEMY_SIZE = 5;
const SQLALCHEMY_OVERFLOW = 10;

/** Every suffix read, in the order the docs list them. */
const KNOWN = [
  'MIN',
  'MAX',
  'MAX_CONNECTIONS',
  'ACQUIRE_TIMEOUT_MS',
  'IDLE_TIMEOUT_MS',
  'MAX_LIFETIME_MS',
  'VALIDATE_AFTER_IDLE_MS',
  'MAX_WAITING',
  'ORDER',
  'SIZE',
  'OVERFLOW',
  'TIMEOUT',
  'RECYCLE',
  'PRE_PING',
  'USE_LIFO',
  'DISABLED',
] as const;
type Suffix = (typeof KNOWN)[number];

/**
 * Suffixes that describe the connection, not the pool (`REDIS_URL` next to
 * `REDIS_MAX_CONNECTIONS`): other code reads them, so they are neither read nor reported.
 */
const CONNECTION = new Set(['URL', 'HOST', 'PORT', 'USER', 'USERNAME', 'PASSWORD', 'DB', 'DATABASE', 'TLS', 'SSL']);

/** Each pair names one option twice: setting both is an error naming both. */
const SAME_OPTION: readonly [Suffix, Suffix][] = [
  ['MAX', 'MAX_CONNECTIONS'],
  ['ACQUIRE_TIMEOUT_MS', 'TIMEOUT'],
  ['MAX_LIFETIME_MS', 'RECYCLE'],
  ['VALIDATE_AFTER_IDLE_MS', 'PRE_PING'],
  ['ORDER', 'USE_LIFO'],
];

/**
 * How each variable but `_SIZE` / `_OVERFLOW` (read together) sets its option; `undefined`
 * sets nothing (`_PRE_PING=false`, `_DISABLED=0`).
 */
const READERS: readonly [Suffix, keyof EnvPoolOptions, (variable: string, raw: string) => unknown][] = [
  ['MIN', 'min', (v, raw) => parseInteger(v, raw, 0)],
  ['MAX', 'max', (v, raw) => parseInteger(v, raw, 1)],
  ['MAX_CONNECTIONS', 'max', (v, raw) => parseInteger(v, raw, 1)],
  ['ACQUIRE_TIMEOUT_MS', 'acquireTimeoutMs', (v, raw) => parseMillis(v, raw, true)],
  ['TIMEOUT', 'acquireTimeoutMs', (v, raw) => parseSeconds(v, raw, true)],
  ['IDLE_TIMEOUT_MS', 'idleTimeoutMs', (v, raw) => parseMillis(v, raw, false)],
  ['MAX_LIFETIME_MS', 'maxLifetimeMs', (v, raw) => parseMillis(v, raw, false)],
  // SQLAlchemy's pool_recycle=-1 (its default) means "never", as lido's 0 does.
  ['RECYCLE', 'maxLifetimeMs', (v, raw) => (raw.trim() === '-1' ? 0 : parseSeconds(v, raw, false))],
  ['VALIDATE_AFTER_IDLE_MS', 'validateAfterIdleMs', (v, raw) => parseMillis(v, raw, false)],
  ['PRE_PING', 'validateAfterIdleMs', (v, raw) => (parseBoolean(v, raw) ? 0 : undefined)],
  ['MAX_WAITING', 'maxWaiting', (v, raw) => parseInteger(v, raw, 0)],
  ['ORDER', 'order', (v, raw) => parseOrder(v, raw)],
  ['USE_LIFO', 'order', (v, raw) => (parseBoolean(v, raw) ? 'lifo' : 'fifo')],
  ['DISABLED', 'pooling', (v, raw) => (parseBoolean(v, raw) ? false : undefined)],
];

/** Names already reported in a warning: each at most once per process. */
const reported = new Set<string>();

/**
 * Pool options from environment variables `<prefix>_…`, in lido's names or in the names
 * services already use (SQLAlchemy's), to spread into a pool's options:
 *
 * ```ts
 * const db = new PgPool({ ...poolOptionsFromEnv('DATABASE_POOL'), connectionString: process.env.DATABASE_URL });
 * ```
 *
 * | variable | option |
 * |---|---|
 * | `_MIN` | `min` |
 * | `_MAX`, `_MAX_CONNECTIONS` | `max` |
 * | `_ACQUIRE_TIMEOUT_MS`, `_IDLE_TIMEOUT_MS`, `_MAX_LIFETIME_MS`, `_VALIDATE_AFTER_IDLE_MS` | the option of that name |
 * | `_MAX_WAITING`, `_ORDER` (`lifo` / `fifo`) | the option of that name |
 * | `_SIZE`, `_OVERFLOW` | `min = SIZE`, `max = SIZE + OVERFLOW` (defaults 5 and 10, SQLAlchemy's) |
 * | `_TIMEOUT`, `_RECYCLE` (seconds; `RECYCLE=-1`: never) | `acquireTimeoutMs`, `maxLifetimeMs` |
 * | `_PRE_PING` (boolean) | `validateAfterIdleMs: 0` when true |
 * | `_USE_LIFO` (boolean) | `order: 'lifo'` / `'fifo'` |
 * | `_DISABLED` (boolean) | `pooling: false` when true: the kill switch |
 *
 * Booleans are `1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off` in any case; an empty
 * value counts as unset. Two variables for one option (`_MAX` and `_MAX_CONNECTIONS`,
 * `_TIMEOUT` and `_ACQUIRE_TIMEOUT_MS`, …), or sizes in both styles (`_MIN`/`_MAX` with
 * `_SIZE`/`_OVERFLOW`), are an error naming both. A bad value is a `PoolOptionsError`
 * naming the variable, what was expected and what came. Other variables under the prefix
 * are reported once per process, by name only, in a process warning `LIDO_ENV_UNKNOWN`
 * (connection settings such as `_URL`, `_HOST`, `_PASSWORD` are left alone). The pools'
 * `config()` shows which option came from which variable (`fromEnv`).
 *
 * @param prefix The variables' common prefix, e.g. `DATABASE_POOL` or `REDIS` (a trailing `_` is allowed).
 * @param env Where to read them. Default `process.env`.
 */
export function poolOptionsFromEnv(
  prefix: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): EnvPoolOptions {
  const base = checkPrefix(prefix);
  if (env === null || typeof env !== 'object')
    throw new PoolOptionsError(`env: expected an object of environment variables, got ${describe(env)}`);
  const name = (suffix: string): string => `${base}_${suffix}`;
  const raw = readKnown(env, name);
  reportUnknown(env, base);

  for (const [a, b] of SAME_OPTION) {
    if (raw[a] !== undefined && raw[b] !== undefined) both(name(a), name(b), 'set one of them');
  }
  const lidoSizes = (['MIN', 'MAX', 'MAX_CONNECTIONS'] as const).find((s) => raw[s] !== undefined);
  const alchemySizes = (['SIZE', 'OVERFLOW'] as const).find((s) => raw[s] !== undefined);
  if (lidoSizes !== undefined && alchemySizes !== undefined) {
    both(
      name(lidoSizes),
      name(alchemySizes),
      `use ${name('MIN')}/${name('MAX')} or ${name('SIZE')}/${name('OVERFLOW')}`,
    );
  }

  const out: Record<string, unknown> = {};
  const sources: Record<string, EnvSource> = {};
  const set = (key: string, value: unknown, variable: string): void => {
    out[key] = value;
    sources[key] = { variable, value };
  };
  for (const [suffix, key, parse] of READERS) {
    const value = raw[suffix] === undefined ? undefined : parse(name(suffix), raw[suffix]);
    if (value !== undefined) set(key, value, name(suffix));
  }
  if (alchemySizes !== undefined) sqlAlchemySizes(raw, name, set);
  if (typeof out.min === 'number' && typeof out.max === 'number' && out.min > out.max) {
    throw new PoolOptionsError(
      `${sources.min!.variable}: expected at most ${sources.max!.variable} (${out.max}), got ${out.min}`,
    );
  }

  attachEnvSources(out, sources);
  return out as EnvPoolOptions;
}

/** `min = SIZE`, `max = SIZE + OVERFLOW`, SQLAlchemy's defaults (5, 10) for the one not set. */
function sqlAlchemySizes(
  raw: Partial<Record<Suffix, string>>,
  name: (suffix: string) => string,
  set: (key: 'min' | 'max', value: number, variable: string) => void,
): void {
  const sizeVar = name('SIZE');
  const overflowVar = name('OVERFLOW');
  const size = raw.SIZE === undefined ? SQLALCHEMY_SIZE : parseInteger(sizeVar, raw.SIZE, 0);
  let overflow = SQLALCHEMY_OVERFLOW;
  if (raw.OVERFLOW !== undefined) {
    if (raw.OVERFLOW.trim() === '-1') {
      badValue(
        overflowVar,
        'a non-negative integer',
        raw.OVERFLOW,
        ' (-1 is SQLAlchemy\'s "no limit"; lido needs a bound: set the most connections to open above the size)',
      );
    }
    overflow = parseInteger(overflowVar, raw.OVERFLOW, 0);
  }
  const sizeFrom = raw.SIZE === undefined ? String(SQLALCHEMY_SIZE) : sizeVar;
  const overflowFrom = raw.OVERFLOW === undefined ? String(SQLALCHEMY_OVERFLOW) : overflowVar;
  const maxFrom = `${sizeFrom} + ${overflowFrom}`;
  if (size + overflow < 1) {
    throw new PoolOptionsError(`${maxFrom}: expected at least 1 connection in total, got ${size + overflow}`);
  }
  set('min', size, raw.SIZE === undefined ? `${SQLALCHEMY_SIZE} (the size when only ${overflowVar} is set)` : sizeVar);
  set('max', size + overflow, maxFrom);
}

function both(a: string, b: string, advice: string): never {
  throw new PoolOptionsError(`${a} and ${b}: expected one of them, got both (${advice})`);
}

function checkPrefix(prefix: unknown): string {
  const base = typeof prefix === 'string' ? prefix.replace(/_$/, '') : prefix;
  if (typeof base !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(base) || base.endsWith('_')) {
    throw new PoolOptionsError(
      `prefix: expected an environment variable prefix like "DATABASE_POOL", got ${describe(prefix)}`,
    );
  }
  return base;
}

/** The known variables that are set (empty counts as unset), as strings. */
function readKnown(
  env: Readonly<Record<string, unknown>>,
  name: (suffix: string) => string,
): Partial<Record<Suffix, string>> {
  const raw: Partial<Record<Suffix, string>> = {};
  for (const suffix of KNOWN) {
    const variable = name(suffix);
    const value = env[variable];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new PoolOptionsError(`${variable}: expected a string, got ${describe(value)}`);
    }
    const text = String(value);
    if (text.trim() !== '') raw[suffix] = text;
  }
  return raw;
}

/** One process warning naming the variables under the prefix that are not read (names only). */
function reportUnknown(env: Readonly<Record<string, unknown>>, base: string): void {
  const head = `${base}_`;
  const known = new Set<string>(KNOWN);
  const fresh: string[] = [];
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith(head) || reported.has(variable)) continue;
    const suffix = variable.slice(head.length);
    if (known.has(suffix) || CONNECTION.has(suffix)) continue;
    reported.add(variable);
    fresh.push(variable);
  }
  if (fresh.length === 0) return;
  process.emitWarning(
    `lido: poolOptionsFromEnv("${base}") does not read ${fresh.sort().join(', ')}; ignored. ` +
      `It reads ${KNOWN.map((s) => `${head}${s}`).join(', ')}.`,
    { code: LIDO_ENV_UNKNOWN },
  );
}

/**
 * Which pool options came from which environment variable.
 *
 * `poolOptionsFromEnv()` returns a plain options object that users spread into their own
 * (`{ ...poolOptionsFromEnv('DATABASE_POOL'), connectionString }`), so the record has to
 * travel with that object through a spread and through an adapter's `{ a, ...rest }`,
 * without being an option the pools would reject. An own **enumerable symbol** property
 * does all of that: object spread and rest copy own enumerable symbol keys, while
 * `Object.keys()` (the pools' unknown-key check), `JSON.stringify` and `for…in` skip them.
 * A non-enumerable property or a registry keyed by the returned object would be lost at
 * the first spread; a string key would be an unknown option.
 *
 * Each entry keeps the value it set, so an option the caller overrode after the spread
 * (`{ ...fromEnv, max: 5 }`) is not reported as coming from the environment. The symbol
 * is a registered one (`Symbol.for`) so the ESM and CommonJS builds of lido, loaded side
 * by side, still understand each other.
 */

/** @internal The key of the record on an options object. */
export const ENV_SOURCES: unique symbol = Symbol.for('lido.envSources');

/** @internal One option's origin: the variable(s) it was read from and the value it got. */
export interface EnvSource {
  /** The variable, or how the value was made: `DATABASE_POOL_SIZE + DATABASE_POOL_OVERFLOW`. */
  readonly variable: string;
  /** The value the option got from it. */
  readonly value: unknown;
}

/** @internal Attaches `sources` to `options` (an own enumerable symbol property, read-only). */
export function attachEnvSources(options: object, sources: Record<string, EnvSource>): void {
  Object.defineProperty(options, ENV_SOURCES, {
    value: Object.freeze({ ...sources }),
    enumerable: true,
    writable: false,
    configurable: false,
  });
}

/**
 * Which options of `options` (as the caller passed them) still hold the value read from
 * the environment: `{ max: 'DATABASE_POOL_MAX' }`, or `undefined` when none does.
 * What `config()` shows as `fromEnv`.
 */
export function envSourcesOf(options: unknown): Record<string, string> | undefined {
  if (options === null || typeof options !== 'object') return undefined;
  const record = (options as { [ENV_SOURCES]?: unknown })[ENV_SOURCES];
  if (record === null || typeof record !== 'object') return undefined;
  let out: Record<string, string> | undefined;
  for (const [key, source] of Object.entries(record as Record<string, EnvSource>)) {
    if (source === null || typeof source !== 'object' || typeof source.variable !== 'string') continue;
    if ((options as Record<string, unknown>)[key] !== source.value) continue;
    out ??= {};
    out[key] = source.variable;
  }
  return out;
}

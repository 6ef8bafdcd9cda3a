import { PoolOptionsError } from '../errors.js';
import { redactString } from './redact.js';

/** Describes a value for an error message: `-1`, `NaN`, `"ten"`, `null`, `an object`. */
export function describe(v: unknown): string {
  // A mistyped value may be a connection string or URL with a password: shown without it.
  if (typeof v === 'string') return JSON.stringify(redactString(v));
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'function') return 'a function';
  return Array.isArray(v) ? 'an array' : 'an object';
}

/** Throws the {@link PoolOptionsError} that names `name`, what was expected and what came. */
export function fail(name: string, expected: string, got: unknown): never {
  throw new PoolOptionsError(`${name}: expected ${expected}, got ${describe(got)}`);
}

/** An integer >= `least`, or Infinity when `infinite` is true. */
export function checkInt(name: string, v: unknown, least: number, infinite = false): number {
  if (typeof v === 'number' && infinite && v === Infinity) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < least) {
    const what = least === 1 ? 'a positive integer' : least === 0 ? 'a non-negative integer' : `an integer >= ${least}`;
    fail(name, infinite ? `${what} or Infinity` : what, v);
  }
  return v;
}

/** A duration in ms: finite and >= 0 (or > 0 when `positive`); Infinity when `infinite`. */
export function checkDuration(name: string, v: unknown, positive = false, infinite = false): number {
  if (typeof v === 'number' && infinite && v === Infinity) return v;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
    const what = positive ? 'a positive duration in ms' : 'a non-negative duration in ms';
    fail(name, infinite ? `${what} or Infinity` : what, v);
  }
  return v;
}

/** Rejects unknown keys of `options` against `known`, naming the first offender. */
export function rejectUnknown(what: string, options: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new PoolOptionsError(`${what}: unknown option "${key}" (known: ${[...known].join(', ')})`);
    }
  }
}

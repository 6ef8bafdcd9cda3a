import { PoolClosedError, PoolOptionsError } from '../../core/errors.js';
import { normalizeOrigin } from './options.js';

type ErrorClass = new (message?: string) => Error;

/** The undici error names lido/http raises, as undici's own dispatchers do. */
export type UndiciErrorName = 'InvalidArgumentError' | 'ClientClosedError' | 'ClientDestroyedError';

/**
 * @internal Makes undici's own errors (`errors.ClientClosedError`, …) from the undici module
 * in use, so callers see what undici's dispatchers throw; lido's when undici has none by
 * that name (a trimmed-down module, a test double).
 */
export function undiciErrors(
  errors: Record<string, unknown> | undefined,
  pool: string,
): (name: UndiciErrorName, message: string) => Error {
  return (name, message) => {
    const E = errors?.[name] as ErrorClass | undefined;
    if (typeof E === 'function') return new E(message);
    return name === 'InvalidArgumentError' ? new PoolOptionsError(message) : new PoolClosedError(message, { pool });
  };
}

/**
 * @internal `opts.origin` as undici writes an origin. Strings are normalized once and
 * remembered (undici's helpers pass `url.origin`, so this is one map lookup per request);
 * the memory is cleared past 1024 distinct strings.
 */
export class OriginCache {
  readonly #seen = new Map<string, string>();
  readonly #error: (name: UndiciErrorName, message: string) => Error;

  constructor(error: (name: UndiciErrorName, message: string) => Error) {
    this.#error = error;
  }

  of(value: unknown): string {
    if (value instanceof URL) return value.origin;
    if (typeof value !== 'string')
      throw this.#error(
        'InvalidArgumentError',
        `opts.origin: expected an http(s) origin, got ${value === undefined ? 'undefined' : typeof value}`,
      );
    let origin = this.#seen.get(value);
    if (origin === undefined) {
      try {
        origin = normalizeOrigin(value, 'opts.origin');
      } catch (e) {
        throw this.#error('InvalidArgumentError', (e as Error).message);
      }
      if (this.#seen.size >= 1024) this.#seen.clear();
      this.#seen.set(value, origin);
    }
    return origin;
  }
}

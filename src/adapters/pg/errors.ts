import {
  AcquireTimeoutError,
  PoolClosedError,
  type PoolCounts,
  type PoolError,
  withoutStack,
} from '../../core/errors.js';
import type { Secrets } from '../../core/util/redact.js';

/** pg.Pool's message for a pool used after `end()`. */
export const ENDED_MESSAGE = 'Cannot use a pool after calling end on the pool';

/** The error of a `connect()` or `query()` after `end()`, in pg.Pool's words. */
export function endedError(pool: string, counts?: PoolCounts): PoolClosedError {
  return new PoolClosedError(ENDED_MESSAGE, { pool, counts });
}

/** A core error in pg.Pool's words where code matches on them; secrets scrubbed. */
export function translateError(e: unknown, pool: string, secrets: Secrets): unknown {
  if (e instanceof AcquireTimeoutError) {
    // Stackless like the core's (see withoutStack): this runs in a promise reaction, whose stack holds nothing of the caller.
    return withoutStack(
      () => new AcquireTimeoutError(`timeout exceeded when trying to connect (${e.message})`, errorOptions(e)),
    );
  }
  if (e instanceof PoolClosedError) return endedError(pool, e.counts);
  return secrets.error(e);
}

function errorOptions(e: PoolError): { pool?: string; counts?: PoolCounts; cause?: unknown } {
  return { pool: e.pool, counts: e.counts, cause: e.cause };
}

const noop = (): void => {};

/** pg.Pool's way with an error before any work: the callback gets it on the next tick, or the promise rejects. */
export function deliverError(
  callback: ((err: Error, ...rest: any[]) => void) | undefined,
  err: Error,
): Promise<never> | undefined {
  if (typeof callback === 'function') {
    process.nextTick(callback, err, undefined, noop);
    return undefined;
  }
  return Promise.reject(err);
}

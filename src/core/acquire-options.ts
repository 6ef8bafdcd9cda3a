import { PoolOptionsError } from './errors.js';
import { checkDuration, describe } from './options.js';

/** Options of one `acquire()`. */
export interface AcquireOptions {
  /** Overrides the pool's `acquireTimeoutMs` for this call; `Infinity` waits forever. */
  timeoutMs?: number;
  /** Aborting it removes the waiter at once and rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** Validates per-call options, naming the bad one. */
export function checkAcquire(options: AcquireOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new PoolOptionsError(`acquire options: expected an object { timeoutMs?, signal? }, got ${describe(options)}`);
  }
  for (const key in options) {
    if (key !== 'timeoutMs' && key !== 'signal')
      throw new PoolOptionsError(`acquire options: unknown option "${key}" (known: timeoutMs, signal)`);
  }
  if (options.timeoutMs !== undefined) checkDuration('timeoutMs', options.timeoutMs, true, true);
  const s = options.signal;
  if (
    s !== undefined &&
    (s === null || typeof s !== 'object' || typeof s.addEventListener !== 'function' || typeof s.aborted !== 'boolean')
  ) {
    throw new PoolOptionsError(`signal: expected an AbortSignal, got ${describe(s)}`);
  }
}

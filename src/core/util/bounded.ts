import type { Clock } from './clock.js';
import { abortable } from './abortable.js';

const ignore = (): void => {};

/**
 * Runs a factory hook (validate, reset) with a time limit: after `timeoutMs` its signal
 * aborts with `timeoutError()` and the returned promise rejects with it. The timer is
 * cleared as soon as the hook settles; a late result is ignored.
 */
export function bounded<R>(
  hook: (signal: AbortSignal) => R | PromiseLike<R>,
  clock: Clock,
  timeoutMs: number,
  keepAlive: boolean,
  timeoutError: () => Error,
): Promise<R> {
  const ac = new AbortController();
  if (timeoutMs === Infinity) return abortable(() => hook(ac.signal), ac.signal, ignore);
  const timer = clock.setTimer(() => ac.abort(timeoutError()), timeoutMs, keepAlive);
  const p = abortable(() => hook(ac.signal), ac.signal, ignore);
  p.then(
    () => clock.clearTimer(timer),
    () => clock.clearTimer(timer),
  );
  return p;
}

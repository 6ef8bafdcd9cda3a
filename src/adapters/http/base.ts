import { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';

/**
 * @internal The class `HttpPool` extends. lido never imports undici, so this starts as a
 * plain EventEmitter subclass and is re-parented onto undici's `Dispatcher.prototype` the
 * first time a pool is made (`bindDispatcher`): from then on every `HttpPool` is an
 * `instanceof Dispatcher` and inherits `request`, `stream`, `pipeline`, `connect`,
 * `upgrade` and `compose` from the application's own undici (undici's Dispatcher adds
 * nothing in its constructor, so skipping it loses nothing).
 */
class DispatcherShim extends EventEmitter {}

let bound: Function | null = null;

/**
 * @internal Re-parents the shim onto `Dispatcher` (once: the first undici wins). A pool
 * made later with another copy of undici still works: its requests go through that
 * copy's `Client`, and the inherited `request`/`fetch` helpers speak both handler APIs.
 */
export function bindDispatcher(D: Function): void {
  if (bound !== null) return;
  Object.setPrototypeOf(DispatcherShim.prototype, D.prototype as object);
  bound = D;
}

/** @internal `DispatcherShim`, typed as undici's `Dispatcher` so `HttpPool` is one for TypeScript too. */
export const DispatcherBase = DispatcherShim as unknown as typeof Dispatcher;

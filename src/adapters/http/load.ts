import { loadPeer } from '../load-peer.js';
import type { PoolOptionsError } from '../../core/errors.js';
import type { UndiciLike } from './types.js';

let cached: UndiciLike | null = null;

/** Names the first part of `mod` that lido/http needs and is missing, or null when all are there. */
export function missingPart(mod: unknown): string | null {
  const m = mod as Partial<Record<keyof UndiciLike, unknown>> | null;
  if (m === null || (typeof m !== 'object' && typeof m !== 'function')) return 'the module';
  if (
    typeof m.Dispatcher !== 'function' ||
    typeof (m.Dispatcher as { prototype?: { compose?: unknown } }).prototype?.compose !== 'function'
  )
    return 'Dispatcher';
  if (typeof m.Client !== 'function') return 'Client';
  if (typeof m.buildConnector !== 'function') return 'buildConnector';
  return null;
}

/**
 * Loads the application's own undici, once, synchronously. Throws a
 * {@link PoolOptionsError} that says what to do when it is not installed.
 */
export function loadUndici(): UndiciLike {
  return (cached ??= loadPeer(
    'undici',
    (mod) => {
      const missing = missingPart(mod);
      return missing === null ? (mod as UndiciLike) : `has no ${missing}`;
    },
    "lido/http needs undici (>= 7): install it (npm install undici) or pass it as the undici option, e.g. new HttpPool({ undici: await import('undici') })",
  ));
}

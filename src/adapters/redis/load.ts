import { loadPeer } from '../load-peer.js';
import type { PoolOptionsError } from '../../core/errors.js';
import type { RedisClientLike, RedisConstructor } from './types.js';

let cached: RedisConstructor | null = null;

/** The `Redis` class out of whatever shape the module has (CJS, ESM interop, default-only). */
function pick(mod: unknown): RedisConstructor | string {
  const m = mod as Record<string, unknown> | null;
  for (const c of [m?.Redis, m?.default, (m?.default as Record<string, unknown> | undefined)?.Redis, m]) {
    if (
      typeof c === 'function' &&
      typeof (c as { prototype?: { connect?: unknown } }).prototype?.connect === 'function'
    ) {
      return c as RedisConstructor;
    }
  }
  return 'exports no Redis class';
}

/**
 * Loads the application's own ioredis, once, synchronously. Throws a
 * {@link PoolOptionsError} that says what to do when it is not installed.
 */
export function loadRedis(): RedisConstructor<RedisClientLike> {
  return (cached ??= loadPeer(
    'ioredis',
    pick,
    'lido/redis needs ioredis (>= 5): install it (npm install ioredis) or pass its class as the Redis option, e.g. new RedisPool({ Redis, redis: url })',
  ));
}

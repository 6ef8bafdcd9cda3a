import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PoolOptionsError } from '../../errors.js';
import type { RedisClientLike, RedisConstructor } from './types.js';

let cached: RedisConstructor | null = null;

/**
 * Where to resolve `ioredis` from, best first: this module's own location (the
 * application's ioredis in a normal install, the peer link under pnpm), then the
 * application's working directory.
 *
 * tsup builds this file twice. In the CJS build `__filename` is this file and
 * `import.meta` is an empty object (so `import.meta.url` is undefined); in the ESM
 * build `__filename` does not exist and `import.meta.url` does. Both are handled.
 */
function bases(): string[] {
  const out: string[] = [];
  if (typeof __filename === 'string' && __filename !== '') out.push(__filename);
  else {
    const url = (import.meta as { url?: string } | undefined)?.url;
    if (typeof url === 'string' && url !== '') out.push(url);
  }
  out.push(join(process.cwd(), 'package.json'));
  return out;
}

/** The `Redis` class out of whatever shape the module has (CJS, ESM interop, default-only). */
function pick(mod: unknown): RedisConstructor | null {
  const m = mod as Record<string, unknown> | null;
  for (const c of [m?.Redis, m?.default, (m?.default as Record<string, unknown> | undefined)?.Redis, m]) {
    if (typeof c === 'function' && typeof (c as { prototype?: { connect?: unknown } }).prototype?.connect === 'function') {
      return c as RedisConstructor;
    }
  }
  return null;
}

/**
 * Loads the application's own ioredis, once, synchronously. Throws a
 * {@link PoolOptionsError} that says what to do when it is not installed.
 */
export function loadRedis(): RedisConstructor<RedisClientLike> {
  if (cached !== null) return cached;
  let lastError: unknown;
  for (const base of bases()) {
    let mod: unknown;
    try {
      mod = createRequire(base)('ioredis');
    } catch (e) {
      lastError = e;
      continue;
    }
    const ctor = pick(mod);
    if (ctor !== null) return (cached = ctor);
    lastError = new TypeError('the ioredis module found exports no Redis class');
  }
  const why = lastError instanceof Error ? lastError.message.split('\n')[0] : String(lastError);
  const e = new PoolOptionsError(
    `lido/redis needs ioredis (>= 5): install it (npm install ioredis) or pass its class as the Redis option, e.g. new RedisPool({ Redis, redis: url }) (${why})`,
  );
  (e as { cause?: unknown }).cause = lastError;
  throw e;
}

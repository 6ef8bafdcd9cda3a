import { PoolOptionsError } from '../../core/errors.js';
import type { PoolOptions } from '../../core/options.js';
import { Pool } from '../../core/pool.js';
import { systemClock } from '../../core/util/clock.js';
import { declarePoolKind } from '../../config/kind.js';
import { kOwnChurnTarget, noteNewPool } from '../../stats/churn.js';
import { describeConnection, redisFactory, type RedisFactory } from './factory.js';
import type { RedisClientLike, RedisConnectionOptions, RedisConstructor } from './types.js';

/** Options of {@link RedisPool}: where to connect, plus every core pool option except `factory`. */
export interface RedisPoolOptions<R extends RedisClientLike = RedisClientLike> extends Omit<PoolOptions<R>, 'factory'> {
  /**
   * A `redis://` / `rediss://` URL (or a unix socket path), or ioredis options
   * (`{ host, port, password, db, tls, … }`). Default: ioredis' defaults (localhost:6379).
   */
  redis?: string | RedisConnectionOptions;
  /**
   * The ioredis `Redis` class. Default: the application's own `ioredis`, loaded when the
   * pool is made. Passing it also types `lease.resource` as ioredis' `Redis`.
   */
  Redis?: RedisConstructor<R>;
}

/**
 * A pool of ioredis connections, for what one shared, multiplexed connection cannot do:
 * blocking commands (BLPOP, BLMOVE, XREAD BLOCK, WAIT), WATCH/MULTI transactions,
 * pub/sub, SELECT. A connection comes back clean or is destroyed: the next borrower never
 * finds it subscribed, in a transaction, watching keys, or on another db.
 *
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisPool } from 'lido/redis';
 *
 * const pool = new RedisPool({ Redis, redis: 'redis://127.0.0.1:6379', max: 8 });
 * const job = await pool.use((redis) => redis.blpop('jobs', 5));
 * await pool.close();
 * ```
 *
 * Everything else is the core {@link Pool}: `acquire()`, `use()`, `stats()`, `health()`,
 * `advise()`, events, `close()`, `await using`.
 */
export class RedisPool<R extends RedisClientLike = RedisClientLike> extends Pool<R> {
  readonly #redis: string | RedisConnectionOptions | undefined;
  readonly #target: string;
  /** It reports to the churn detector itself, by host:port/db (not as a `Pool`). */
  static readonly [kOwnChurnTarget] = true;

  constructor(options: RedisPoolOptions<R> = {}) {
    if (options === null || typeof options !== 'object') {
      throw new PoolOptionsError(
        `RedisPool options: expected an object { redis, min, max, … }, got ${options === null ? 'null' : typeof options}`,
      );
    }
    if ('factory' in options) {
      throw new PoolOptionsError(
        'RedisPool options: unknown option "factory" (RedisPool makes its own; for a custom one use new Pool({ factory: redisFactory({ redis }) }))',
      );
    }
    const { redis, Redis, ...core } = options;
    const factory: RedisFactory<R> = redisFactory<R>(Redis === undefined ? { redis } : { redis, Redis });
    super({ ...core, factory });
    this.#redis = redis;
    this.#target = factory.target;
    noteNewPool(`RedisPool ${factory.target}`, (core.clock ?? systemClock).now());
  }

  /** Where the pool connects: `host:port/db` or a socket path, never credentials. */
  get target(): string {
    return this.#target;
  }

  /** The effective options, with the connection's credentials redacted. */
  override config(): Record<string, unknown> {
    return { ...super.config(), redis: describeConnection(this.#redis) };
  }
}

declarePoolKind(RedisPool, 'redis');

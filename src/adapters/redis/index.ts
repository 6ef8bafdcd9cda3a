/**
 * `lido/redis`: pooled ioredis connections for blocking commands, WATCH/MULTI, pub/sub
 * and SELECT. ioredis is an optional peer dependency, loaded only when a pool or
 * factory is made (or passed in as the `Redis` option). See docs/redis.md.
 */
export { RedisPool, type RedisPoolOptions } from './pool.js';
export { redisFactory, type RedisFactory, type RedisFactoryOptions } from './factory.js';
export { RedisConnectError } from './errors.js';
export { DirtyConnectionError } from './reset.js';
export { FORCED_OPTIONS } from './config.js';
export type {
  RedisClientLike,
  RedisConnectionOptions,
  RedisConstructor,
  RedisCommandLike,
  RedisConditionLike,
} from './types.js';
export { redisBudget, RedisBudget, type RedisBudgetOptions, type RedisBudgetEvents } from './budget.js';
export type { BudgetRedisClient } from './budget/connection.js';

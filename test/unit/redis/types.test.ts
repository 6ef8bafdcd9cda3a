// Compile-time checks (tsc) plus a trivial runtime test: an ioredis `Redis` satisfies the
// adapter's structural subset, and passing the class types `lease.resource` fully.
import { Redis } from 'ioredis';
import { expect, expectTypeOf, it } from 'vitest';
import { Pool } from '../../../src/index.js';
import { RedisPool, redisFactory, type RedisClientLike } from '../../../src/adapters/redis/index.js';

it('types the resource as the Redis class passed in', () => {
  const make = () => new RedisPool({ Redis, redis: 'redis://127.0.0.1:1/0', max: 1 });
  expectTypeOf<ReturnType<typeof make>>().toEqualTypeOf<RedisPool<Redis>>();
  expectTypeOf<Redis>().toMatchTypeOf<RedisClientLike>();
  const viaFactory = () => new Pool({ factory: redisFactory({ Redis }) });
  expectTypeOf<ReturnType<typeof viaFactory>>().toEqualTypeOf<Pool<Redis>>();
  const untyped = () => new RedisPool({ redis: 'redis://127.0.0.1:1' });
  expectTypeOf<ReturnType<typeof untyped>>().toEqualTypeOf<RedisPool<RedisClientLike>>();
  const explicit = () => new RedisPool<Redis>({ redis: 'redis://127.0.0.1:1' });
  expectTypeOf<ReturnType<typeof explicit>>().toEqualTypeOf<RedisPool<Redis>>();
  expect(true).toBe(true);
});

/**
 * `lido/pg`: Postgres through lido. `PgPool` is a drop-in `pg.Pool`; `pgFactory()` is the
 * adapter for the core `Pool` (and `KeyedPool`, `PoolCluster`). `pg` is an optional peer
 * dependency: lido uses the application's own copy, never bundles it.
 */
export { PgPool } from './pool.js';
export type {
  ConnectCallback,
  PgPoolClient,
  PgPoolEvents,
  PgPoolStats,
  PgPoolHealth,
  PgQueryOptions,
  PgReplica,
} from './pool-types.js';
export { pgFactory, type PgFactory } from './factory.js';
export type { PgPoolOptions, PgReplicaOptions } from './options.js';
/** A connection string fit to print: `postgres://user:[redacted]@host/db`, `password=[redacted]`. */
export { redactString as redactConnectionString } from '../../core/util/redact.js';
// The type of `PgFactory.secrets` (a type only: lido makes them, applications do not).
export type { Secrets } from '../../core/util/redact.js';
export type {
  ClientLike,
  ClientConstructor,
  PgConnectionOptions,
  PasswordOption,
  QueryCallback,
  QueryConfigLike,
  QueryResultLike,
  ResetOnRelease,
} from './types.js';
// The error classes, so `instanceof` works against the same copy lido/pg throws.
export {
  PoolError,
  AcquireTimeoutError,
  PoolClosedError,
  QueueFullError,
  CreateError,
  ValidationError,
  PoolOptionsError,
} from '../../core/errors.js';

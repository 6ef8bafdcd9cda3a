/**
 * `lido/http`: `HttpPool`, an undici `Dispatcher` with pool discipline (warm
 * connections, max lifetime, a bounded queue with a wait timeout, leak reports for
 * unread response bodies, stats per origin). undici (7 or 8) is an optional peer
 * dependency: lido uses the application's own copy, loaded when the first pool is made
 * (or passed as the `undici` option), and never bundles it. See docs/http.md.
 */
export { HttpPool } from './pool.js';
export type { UndiciEvent } from './pool.js';
export type { HttpPoolOptions, HttpOriginOptions, HttpConnectOptions, HttpClientOptions } from './options.js';
export type { HttpPoolStats, HttpOriginStats, HttpPoolTotals, HttpCounters } from './stats.js';
export type { HttpLeakReport } from './leaks.js';
export type { UndiciLike, Connector, ConnectTarget, ClientLike, LegacyHandlerLike } from './types.js';
// The error classes, so `instanceof` works against the same copy lido/http throws.
export {
  PoolError,
  AcquireTimeoutError,
  PoolClosedError,
  QueueFullError,
  CreateError,
  PoolOptionsError,
} from '../../core/errors.js';

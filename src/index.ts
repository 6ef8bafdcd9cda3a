export { Pool, type CloseOptions, type CloseReport, type PoolEvents } from './pool.js';
export type { PoolOptions, CreateRetryOptions } from './options.js';
export { defaults } from './options.js';
export type { AcquireOptions } from './acquire-options.js';
export type { Factory } from './factory.js';
export { Lease } from './lease.js';
export { systemClock, type Clock } from './clock.js';
export {
  PoolError, AcquireTimeoutError, PoolClosedError, QueueFullError, CreateError, ValidationError, PoolOptionsError,
  type PoolPhase, type PoolCounts, type PoolErrorOptions,
} from './errors.js';
export type { PoolStats, HistogramSummary } from './stats.js';
export type { Health } from './health.js';
export type { Advice } from './advice.js';
export type { LeakReport } from './leak-detector.js';
export { KeyedPool, type KeyedPoolEvents } from './keyed-pool.js';
export type { KeyedPoolOptions, PerKeyOptions } from './keyed-options.js';
export type { KeyedPoolStats, KeyedPoolTotals, KeyStats } from './keyed-stats.js';
export { PoolCluster, type ClusterAcquireOptions, type PoolClusterStats, type PoolClusterHealth, type PoolClusterEvents } from './cluster.js';
export type { PoolClusterOptions, ClusterProbeOptions, ClusterStrategy } from './cluster-options.js';
export type { ClusterMemberStats, ClusterMemberHealth, MemberRole, MemberState } from './cluster-member.js';
export { CHANNELS, type AcquireContext, type CreateMessage, type DestroyMessage, type ReleaseMessage, type TimeoutMessage, type LeakMessage, type PoolRef } from './diagnostics.js';

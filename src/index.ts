export { Pool, type CloseOptions, type CloseReport, type PoolEvents, type ThawInfo } from './core/pool.js';
export type { PoolOptions, CreateRetryOptions } from './core/options.js';
export { defaults } from './core/options.js';
export { autoSizeDefaults, type AutoSizeOptions } from './sizing/options.js';
export type { ResizeInfo, ResizeReason } from './sizing/resize.js';
export { poolOptionsFromEnv, LIDO_ENV_UNKNOWN, type EnvPoolOptions } from './config/env.js';
export type { AcquireOptions } from './core/acquire-options.js';
export type { Factory } from './core/factory.js';
export { Lease } from './core/lease.js';
export { systemClock, type Clock } from './core/util/clock.js';
export {
  PoolError,
  AcquireTimeoutError,
  PoolClosedError,
  QueueFullError,
  CreateError,
  ValidationError,
  PoolOptionsError,
  type PoolPhase,
  type PoolCounts,
  type PoolErrorOptions,
} from './core/errors.js';
export type { PoolStats, HistogramSummary, DestroyedBy, DestroyReason } from './stats/counters.js';
export type {
  Health,
  PoolHealth,
  HealthBand,
  HealthFigureBands,
  HealthOptions,
  Band,
} from './stats/health.js';
export type { Advice } from './stats/advice.js';
export type { LeakReport } from './core/leak-detector.js';
export { KeyedPool, type KeyedPoolEvents, type KeyedAdvice } from './keyed/keyed-pool.js';
export type { KeyedPoolOptions, PerKeyOptions } from './keyed/options.js';
export type { KeyedPoolStats, KeyedPoolTotals, KeyStats } from './keyed/stats.js';
export {
  PoolCluster,
  type ClusterAcquireOptions,
  type PoolClusterStats,
  type PoolClusterHealth,
  type PoolClusterEvents,
} from './cluster/cluster.js';
export type { PoolClusterOptions, ClusterProbeOptions, ClusterStrategy } from './cluster/options.js';
export type { ClusterMemberStats, ClusterMemberHealth, MemberRole, MemberState } from './cluster/member.js';
export {
  CHANNELS,
  type AcquireContext,
  type CreateMessage,
  type DestroyMessage,
  type ReleaseMessage,
  type TimeoutMessage,
  type LeakMessage,
  type PoolRef,
} from './stats/diagnostics.js';
export { localBudget, type LocalBudgetOptions } from './budget/local.js';
export type { Budget, BudgetAccount, BudgetMember, BudgetStats } from './budget/budget.js';
export {
  BudgetError,
  ERR_BUDGET_CLOSED,
  ERR_BUDGET_UNAVAILABLE,
  ERR_BUDGET_LEASE_LOST,
  type BudgetErrorCode,
} from './budget/errors.js';

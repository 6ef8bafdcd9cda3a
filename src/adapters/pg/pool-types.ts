/** The public types of `PgPool`: its clients, events, stats, health and read-only view. */
import type { ClusterMemberHealth, ClusterMemberStats } from '../../cluster/member.js';
import type { ClusterStrategy } from '../../cluster/options.js';
import type { AcquireTimeoutError } from '../../core/errors.js';
import type { LeakReport } from '../../core/leak-detector.js';
import type { PoolStats } from '../../stats/counters.js';
import type { Health } from '../../stats/health.js';
import type { ClientLike, QueryCallback, QueryConfigLike, QueryResultLike } from './types.js';

/** A client checked out of a {@link PgPool}: the driver's client plus `release()` and disposal. */
export type PgPoolClient<C extends ClientLike = ClientLike> = C & {
  /** Returns the client; a truthy `err` destroys it instead. A second call throws (as in `pg.Pool`). */
  release(err?: Error | boolean): void;
} & Disposable &
  AsyncDisposable;

/** Events of a {@link PgPool}: `pg.Pool`'s, with its argument order, plus lido's `timeout` and `leak`. */
export interface PgPoolEvents<C extends ClientLike = ClientLike> {
  /** A new client connected (after `onConnect`), before it is handed out. */
  connect: [client: C];
  /** A client is handed out. */
  acquire: [client: C];
  /** A client is given back; `err` is what was passed to `release(err)`. */
  release: [err: Error | boolean | undefined, client: C];
  /** A client was closed and left the pool. */
  remove: [client: C];
  /** An idle client failed (the server ended it): it is already removed; `err.client` is set. */
  error: [
    err: Error & {
      /** The client that failed (the same as the `client` argument). */
      client?: C;
    },
    client: C,
  ];
  /** A `connect()` timed out. */
  timeout: [error: AcquireTimeoutError];
  /** A client was held longer than `leakDetectionMs`. */
  leak: [report: LeakReport];
  /** A replica failed `ejectAfter` times in a row: read-only work skips it until a probe succeeds. */
  eject: [name: string, error: unknown];
  /** An ejected replica answered a probe and takes read-only work again. */
  readmit: [name: string];
}

/** Per-query options of {@link PgPool.query}. */
export interface PgQueryOptions {
  /** `true`: the query only reads, so a healthy replica may run it. Default false (the primary). */
  readOnly?: boolean;
}

/**
 * `pool.stats()`: the primary's {@link PoolStats} (so exporters and code reading
 * `stats().borrowed` see the pool writes go to), and with `replicas` also the primary's
 * place in the cluster, and every replica's stats.
 */
export type PgPoolStats = PoolStats &
  Partial<Omit<ClusterMemberStats, keyof PoolStats>> & {
    /** With `replicas`: option `replicaStrategy`. */
    strategy?: ClusterStrategy;
    /** With `replicas`: replicas taking read-only work now. */
    healthyReplicas?: number;
    /** With `replicas`: each replica's stats, state, failure streak and routed count, in the order given. */
    replicas?: ClusterMemberStats[];
  };

/** `pool.health()`; with `replicas`, the cluster's: every member's health too. */
export type PgPoolHealth = Health & {
  /** With `replicas`: the primary's health, then each replica's. */
  members?: ClusterMemberHealth[];
};

/**
 * `pool.replica`: the read-only side of a {@link PgPool}. Everything it runs goes to a
 * healthy replica (to the primary when there is none and `fallbackToPrimary` is on, or
 * when the pool has no replicas).
 */
export interface PgReplica<C extends ClientLike = ClientLike> {
  /** `pool.query()` with `readOnly: true`. */
  query<R = any>(text: string | QueryConfigLike, values?: unknown[]): Promise<QueryResultLike<R>>;
  /** `pool.query()` with `readOnly: true`, callback form. */
  query<R = any>(text: string | QueryConfigLike, callback: QueryCallback<R>): void;
  /** `pool.query()` with `readOnly: true`, values and callback form. */
  query<R = any>(text: string | QueryConfigLike, values: unknown[] | undefined, callback: QueryCallback<R>): void;
  /** Checks out a replica's client: `release()` it (or `await using`). */
  connect(): Promise<PgPoolClient<C>>;
  /** Checks out a replica's client, callback form: call `release()` when done. */
  connect(callback: ConnectCallback<C>): void;
  /** Runs `fn` with a replica's client and always releases it. */
  use<R>(fn: (client: PgPoolClient<C>) => R | PromiseLike<R>): Promise<Awaited<R>>;
}

/** `pool.connect(callback)`'s callback: `(err, client, release)`, never called synchronously. */
export type ConnectCallback<C extends ClientLike = ClientLike> = (
  err: Error | undefined,
  client: PgPoolClient<C> | undefined,
  release: (err?: Error | boolean) => void,
) => void;

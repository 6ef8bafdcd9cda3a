import { EventEmitter } from 'node:events';
import { checkAcquire, type AcquireOptions } from '../core/acquire-options.js';
import { Member, type ClusterMemberHealth, type ClusterMemberStats } from './member.js';
import {
  resolveClusterOptions,
  type ClusterStrategy,
  type PoolClusterOptions,
  type ResolvedClusterOptions,
} from './options.js';
import { ErrorCode, PoolClosedError, PoolError, PoolOptionsError } from '../core/errors.js';
import type { Health } from '../stats/health.js';
import type { Lease } from '../core/lease.js';
import { describe } from '../core/options.js';
import type { CloseOptions, CloseReport, Pool } from '../core/pool.js';

/** Options of `cluster.acquire()` / `cluster.use()`: a pool acquire's, plus where to go. */
export interface ClusterAcquireOptions extends AcquireOptions {
  /** `true`: the work only reads, so a healthy replica may serve it. Default false (the primary). */
  readOnly?: boolean;
}

/** What `cluster.stats()` returns. */
export interface PoolClusterStats {
  /** The cluster's name. */
  name: string;
  /** Option `strategy`. */
  strategy: ClusterStrategy;
  /** Replicas taking read-only work now. */
  healthyReplicas: number;
  /** The primary. */
  primary: ClusterMemberStats;
  /** The replicas, in the order given. */
  replicas: ClusterMemberStats[];
}

/** What `cluster.health()` returns: the cluster's status and every member's. */
export interface PoolClusterHealth extends Health {
  /** The primary's health, then each replica's. */
  members: ClusterMemberHealth[];
}

/** Events a cluster emits, with their arguments. */
export interface PoolClusterEvents {
  /** A replica failed `ejectAfter` times in a row and takes no read-only work until a probe succeeds. */
  eject: [name: string, error: unknown];
  /** An ejected replica answered again and takes read-only work. */
  readmit: [name: string];
}

/**
 * A primary and its read replicas. `acquire({ readOnly: true })` goes to a healthy replica
 * (round-robin or least-borrowed); everything else to the primary. A replica failing
 * `ejectAfter` times in a row (creates, validations, acquires) is ejected, probed in the
 * background with backoff, and taken back when it answers. With no healthy replica,
 * read-only work goes to the primary (`fallbackToPrimary`, default true).
 */
export class PoolCluster<T> extends EventEmitter<PoolClusterEvents> implements AsyncDisposable {
  readonly #options: ResolvedClusterOptions<T>;
  readonly #primary: Member<T>;
  readonly #replicas: Member<T>[];
  #next = 0;
  #closing: Promise<CloseReport> | null = null;

  /** Builds the cluster; options are validated at once. Members given as options become pools it owns. */
  constructor(options: PoolClusterOptions<T>) {
    super({ captureRejections: false });
    const o = (this.#options = resolveClusterOptions(options));
    const hooks = {
      ejected: (m: Member<unknown>, error: unknown) => this.emit('eject', m.pool.name, error),
      readmitted: (m: Member<unknown>) => this.emit('readmit', m.pool.name),
    };
    this.#primary = new Member(o.primary, 'primary', o, hooks);
    this.#replicas = o.replicas.map((p) => new Member(p, 'replica', o, hooks));
  }

  /** The cluster's name (option `name`). */
  get name(): string {
    return this.#options.name;
  }

  /** The primary's pool. */
  get primary(): Pool<T> {
    return this.#primary.pool;
  }

  /** The replicas' pools, in the order given. */
  get replicas(): readonly Pool<T>[] {
    return this.#replicas.map((m) => m.pool);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Borrows from the primary, or with `readOnly: true` from a healthy replica. Rejects like
   * `Pool.acquire`, or with `ERR_POOL_NO_REPLICA` when no replica is healthy and
   * `fallbackToPrimary` is false.
   */
  acquire(options?: ClusterAcquireOptions): Promise<Lease<T>> {
    let route: [Member<T>, AcquireOptions | undefined];
    try {
      route = this.#route(options);
    } catch (e) {
      return Promise.reject(e);
    }
    return route[0].acquire(route[1]);
  }

  /** Runs `fn` with a resource of the member `options.readOnly` routes to, and always releases it (`Pool.use`). */
  use<R>(fn: (resource: T) => R | PromiseLike<R>, options?: ClusterAcquireOptions): Promise<Awaited<R>> {
    let route: [Member<T>, AcquireOptions | undefined];
    try {
      route = this.#route(options);
    } catch (e) {
      return Promise.reject(e);
    }
    return route[0].use(fn, route[1]);
  }

  /** Every member's state, failure streak, routed count and pool stats. */
  stats(): PoolClusterStats {
    return {
      name: this.#options.name,
      strategy: this.#options.strategy,
      healthyReplicas: this.#replicas.filter((m) => m.state === 'healthy').length,
      primary: this.#primary.stats(),
      replicas: this.#replicas.map((m) => m.stats()),
    };
  }

  /** `down` when closed or the primary is down; `degraded` when a replica is ejected or a member is not ok. */
  health(): PoolClusterHealth {
    const members = [this.#primary, ...this.#replicas].map((m) => m.health());
    if (this.closed) return { status: 'down', reasons: ['cluster is closed'], members };
    const reasons: string[] = [];
    for (const m of members)
      if (m.status !== 'ok') reasons.push(`${m.role} "${m.name}" ${m.status}: ${m.reasons.join('; ')}`);
    const healthy = this.#replicas.filter((m) => m.state === 'healthy').length;
    if (this.#replicas.length > 0 && healthy === 0) {
      reasons.push(
        this.#options.fallbackToPrimary
          ? 'no healthy replica: read-only work goes to the primary'
          : 'no healthy replica: read-only acquires fail',
      );
    }
    const status = members[0].status === 'down' ? 'down' : reasons.length > 0 ? 'degraded' : 'ok';
    return { status, reasons, members };
  }

  /** Stops probing and closes every member pool (see `Pool.close`); resolves with the summed reports. Idempotent. */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    if (this.#closing !== null) return this.#closing;
    const members = [this.#primary, ...this.#replicas];
    for (const m of members) m.stop();
    this.#closing = Promise.all(members.map((m) => m.pool.close(options))).then((reports) => ({
      forced: reports.reduce((n, r) => n + r.forced, 0),
      unsettledDestroys: reports.reduce((n, r) => n + r.unsettledDestroys, 0),
    }));
    return this.#closing;
  }

  /** `await using cluster = new PoolCluster(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #route(options: ClusterAcquireOptions | undefined): [Member<T>, AcquireOptions | undefined] {
    if (this.#closing !== null)
      throw new PoolClosedError(`cluster "${this.#options.name}" is closed`, { pool: this.#options.name });
    if (options === undefined) return [this.#primary, undefined];
    if (options === null || typeof options !== 'object')
      throw new PoolOptionsError(
        `acquire options: expected an object { readOnly?, timeoutMs?, signal? }, got ${describe(options)}`,
      );
    const { readOnly, ...rest } = options;
    if (readOnly !== undefined && typeof readOnly !== 'boolean')
      throw new PoolOptionsError(`readOnly: expected a boolean, got ${describe(readOnly)}`);
    checkAcquire(rest);
    if (readOnly !== true) return [this.#primary, rest];
    const replica = this.#pick();
    if (replica !== null) return [replica, rest];
    if (this.#options.fallbackToPrimary) return [this.#primary, rest];
    const why = this.#replicas.length === 0 ? 'it has none' : `all ${this.#replicas.length} ejected`;
    throw new PoolError(
      `no healthy replica in cluster "${this.#options.name}" (${why}) and fallbackToPrimary is false`,
      ErrorCode.noReplica,
      { phase: 'wait', pool: this.#options.name },
    );
  }

  /** A healthy replica by the strategy, or null. Ties in `least-borrowed` go round-robin. */
  #pick(): Member<T> | null {
    const rs = this.#replicas;
    const n = rs.length;
    let best: Member<T> | null = null;
    for (let i = 0; i < n; i++) {
      const m = rs[(this.#next + i) % n];
      if (m.state !== 'healthy') continue;
      if (this.#options.strategy === 'round-robin') {
        best = m;
        break;
      }
      if (best === null || m.load < best.load) best = m;
    }
    if (best !== null) this.#next = (rs.indexOf(best) + 1) % n;
    return best;
  }
}

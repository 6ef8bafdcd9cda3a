import { EventEmitter } from 'node:events';
import type { Advice } from '../../stats/advice.js';
import type { Clock } from '../../core/util/clock.js';
import { systemClock } from '../../core/util/clock.js';
import { PoolCluster } from '../../cluster/cluster.js';
import type { ClusterMemberHealth, ClusterMemberStats } from '../../cluster/member.js';
import type { ClusterStrategy } from '../../cluster/options.js';
import {
  AcquireTimeoutError,
  CreateError,
  PoolClosedError,
  type PoolError,
  PoolOptionsError,
  withoutStack,
  type PoolCounts,
} from '../../core/errors.js';
import type { Health } from '../../stats/health.js';
import type { LeakReport } from '../../core/leak-detector.js';
import { Lease } from '../../core/lease.js';
import { defaults } from '../../core/options.js';
import type { PoolInternals, QueuedAcquire, WaitHandle } from '../../core/internal.js';
import { Pool, poolInternals, type CloseOptions, type CloseReport } from '../../core/pool.js';
import type { PoolStats } from '../../stats/counters.js';
import { createPgFactory, kTicket, type PgFactory, type PgFactoryHooks } from './factory.js';
import { PendingCheckout, PendingList, WaitRing } from './pending.js';
import { connectionOptions, copyOptions, toCoreOptions, type PgPoolOptions, type PgReplicaOptions } from './options.js';
import { Secrets, redactOptions } from './redact.js';
import { MemberPool, clusterSettings, readOnlyQuery, replicaOptions, type PgClusterSettings } from './replicas.js';
import { isConnectionError, isQueryable } from './session.js';
import type { ClientConstructor, ClientLike, QueryCallback, QueryConfigLike, QueryResultLike } from './types.js';

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
  connect(
    callback: (
      err: Error | undefined,
      client: PgPoolClient<C> | undefined,
      release: (err?: Error | boolean) => void,
    ) => void,
  ): void;
  /** Runs `fn` with a replica's client and always releases it. */
  use<R>(fn: (client: PgPoolClient<C>) => R | PromiseLike<R>): Promise<Awaited<R>>;
}

interface ClientMeta<C extends ClientLike> {
  expiresAt: number;
  lease: Lease<C> | null;
  /**
   * The `pool.query()` running on the client, told of the client's `error` event by
   * `#clientError` (the factory's watch listener): no listener added and removed per query.
   */
  onError: Settle | null;
  /**
   * `client.release` while a `pool.query()` holds the client: made once per client (a
   * checkout by `connect()` gets its own, so that a stale `release` it handed out throws).
   */
  readonly release: (err?: Error | boolean) => void;
}

/** One core pool of a PgPool (the primary, or a replica) and what PgPool tracks for it. */
interface Member<C extends ClientLike> {
  readonly pool: Pool<C>;
  /**
   * Checkouts through the cluster waiting on this pool, oldest first, with their ticket: a
   * failed connection attempt fails the oldest checkout that was already waiting when the
   * attempt started (as pg.Pool, where each connect() makes its own attempt and gets its
   * error). Without replicas, the primary's are in PgPool's `#ring` instead.
   */
  readonly waiters: PendingList;
  /** `maxLifetimeMs` of this pool (for `expiredCount`). */
  readonly lifetimeMs: number;
  readonly replica: boolean;
  /** A replica's options (merged over the primary's). */
  readonly options: PgReplicaOptions<C> | null;
}

/** A checkout through the cluster: which member serves it is known once the cluster picked. */
class RoutedCheckout<C extends ClientLike> extends PendingCheckout {
  member: Member<C> | null = null;
}

/** A running `pool.query()`'s settlement: pg's query callback; `raw` = the client's error event, or a throw (already redacted, not pg's answer). */
type Settle = (err: Error | null | undefined, res?: QueryResultLike, raw?: boolean) => void;

/** The {@link RoutedCheckout} an AbortSignal was made for (a property of the signal: no map to keep in step). */
const kCheckout = Symbol('lido.pg.checkout');
type CheckoutSignal = AbortSignal & { [kCheckout]?: RoutedCheckout<any> };

const noop = (): void => {};
const ENDED = 'Cannot use a pool after calling end on the pool';
let pools = 0;

function throwOnDoubleRelease(): never {
  throw new Error('Release called on client which has already been released to the pool.');
}

/**
 * A drop-in `pg.Pool` on lido's core: same constructor, options, methods, properties
 * and events, so code written for `pg.Pool` (Kysely, Drizzle, node-pg-migrate, …) runs
 * unchanged; and everything lido adds (stats, health, advice, resize, pre-ping, clean
 * hand-over, leak detection, bounded queue, lifetime jitter).
 *
 * ```ts
 * import pg from 'pg';
 * import { PgPool } from 'lido/pg';
 * const pool = new PgPool({ connectionString: process.env.DATABASE_URL, max: 20 }, pg.Client);
 * const { rows } = await pool.query('SELECT $1::int AS n', [1]);
 * await using client = await pool.connect();   // released at the end of the block
 * ```
 *
 * With `replicas` (connection options merged over these, or connection strings), work
 * marked read-only goes to a healthy replica and everything else to the primary:
 *
 * ```ts
 * const pool = new PgPool({ host: 'db-primary', …, replicas: [{ host: 'db-replica-1' }, { host: 'db-replica-2' }] }, pg.Client);
 * await pool.query('SELECT …', [id], { readOnly: true });   // or pool.replica.query('SELECT …', [id])
 * ```
 */
export class PgPool<C extends ClientLike = ClientLike>
  extends EventEmitter<PgPoolEvents<C>>
  implements AsyncDisposable
{
  /** The options as given, pg-pool style (password not enumerable; defaults filled in). */
  readonly options: PgPoolOptions<C>;
  /** The client class in use. */
  readonly Client: ClientConstructor<C>;
  /** `options.log`, or a no-op. */
  readonly log: (...messages: unknown[]) => void;
  /** True once `end()` (or `close()`) was called. */
  ending = false;
  /** True once the pool is fully closed. */
  ended = false;

  /**
   * The read-only side: `pool.replica.query(…)`, `.connect()`, `.use(fn)` go to a healthy
   * replica (the primary when none is healthy and `fallbackToPrimary`, or without replicas).
   */
  readonly replica: PgReplica<C>;

  readonly #pool: Pool<C>;
  readonly #factory: PgFactory<C>;
  readonly #secrets: Secrets;
  readonly #clock: Clock;
  readonly #meta = new WeakMap<C, ClientMeta<C>>();
  readonly #live = new Set<C>();
  /** Without replicas: the primary's waiting checkouts, oldest first (see {@link Member.waiters}). */
  readonly #ring = new WaitRing<QueuedAcquire<C>>();
  /** Handed to the core's `acquireQueued`, which fills in its waiter synchronously; read and cleared at once. */
  readonly #handle: WaitHandle<C> = { waiter: null };
  /** The primary's {@link PoolInternals}. */
  readonly #core: PoolInternals<C>;
  #tickets = 0;
  readonly #unrefIdle: boolean;
  #lastRandom = 0;
  #closing: Promise<CloseReport> | null = null;
  /** Null without replicas: then every checkout goes straight to the primary's pool. */
  readonly #cluster: PoolCluster<C> | null = null;
  readonly #settings: PgClusterSettings;
  readonly #replicas: Member<C>[] = [];
  readonly #members = new Map<Pool<C>, Member<C>>();
  /** A read whose replica refused the connection is tried again through the cluster at most this often. */
  readonly #maxRetries: number = 0;
  readonly #acquireTimeoutMs: number;

  /** `new PgPool(options, Client?)`: `options.Client` wins over the `Client` argument, which wins over `require('pg').Client`. */
  constructor(options: PgPoolOptions<C> = {}, Client?: ClientConstructor<C>) {
    super({ captureRejections: false });
    if (options === null || typeof options !== 'object')
      throw new PoolOptionsError(
        `PgPool options: expected an object, got ${options === null ? 'null' : typeof options}`,
      );
    this.options = copyOptions(options);
    this.log = typeof options.log === 'function' ? options.log : noop;
    this.#secrets = new Secrets();
    const hooks: PgFactoryHooks<C> = {
      clientError: (err, client) => this.#clientError(err, client),
      removed: (client) => {
        if (this.#meta.has(client)) this.emit('remove', client);
      },
      log: this.log,
      ticket: () => ++this.#tickets,
    };
    this.#factory = createPgFactory<C>(this.options, Client, hooks, this.#secrets);
    this.Client = this.#factory.Client;
    this.#unrefIdle = options.allowExitOnIdle === true;
    this.#settings = clusterSettings(options);

    const core = this.#coreOptions(options);
    this.#clock = core.clock ?? systemClock;
    this.#acquireTimeoutMs = core.acquireTimeoutMs ?? defaults.acquireTimeoutMs;
    const lifetimeMs = core.maxLifetimeMs ?? defaults.maxLifetimeMs;
    const replicas = options.replicas ?? [];
    if (replicas.length === 0) {
      // No replicas: the pool pg.Pool users get, with no cluster in the way.
      this.#pool = new Pool<C>({ ...core, factory: this.#factory });
      this.#member(this.#pool, lifetimeMs, null);
    } else {
      // Replica options and factories are checked before any pool exists; a pool or the
      // cluster refusing its options closes the pools already made (none has connected yet).
      const name = core.name!;
      const specs = replicas.map((r, i) => {
        const o = replicaOptions<C>(options, r, i, name);
        const rc = this.#coreOptions(o, `replicas[${i}].`);
        return { o, rc, factory: createPgFactory<C>(o, this.Client, hooks, this.#secrets) };
      });
      const routed = (pool: Pool<C>, signal: AbortSignal | undefined): void => this.#routed(pool, signal);
      const built: Pool<C>[] = [];
      try {
        this.#pool = new MemberPool<C>({ ...core, factory: this.#factory }, routed);
        built.push(this.#pool);
        this.#member(this.#pool, lifetimeMs, null);
        specs.forEach(({ o, rc, factory }, i) => {
          const pool = replicaPool(`replicas[${i}]`, () => new MemberPool<C>({ ...rc, factory }, routed));
          built.push(pool);
          this.#replicas.push(this.#member(pool, rc.maxLifetimeMs ?? defaults.maxLifetimeMs, o));
        });
        const { strategy, fallbackToPrimary, ejectAfter } = this.#settings;
        this.#cluster = new PoolCluster<C>({
          name,
          primary: this.#pool,
          replicas: this.#replicas.map((m) => m.pool),
          strategy,
          fallbackToPrimary,
          ejectAfter,
          ...(options.probe !== undefined && { probe: options.probe }),
          ...(core.clock !== undefined && { clock: core.clock }),
          ...(options.random !== undefined && { random: options.random }),
        });
      } catch (e) {
        for (const pool of built) void pool.close();
        throw e;
      }
      this.#maxRetries = replicas.length * this.#settings.ejectAfter;
      this.#cluster.on('eject', (replica, error) => {
        this.#secrets.error(error);
        this.log('replica ejected', replica, error);
        this.emit('eject', replica, error);
      });
      this.#cluster.on('readmit', (replica) => {
        this.log('replica readmitted', replica);
        this.emit('readmit', replica);
      });
    }
    this.#core = poolInternals(this.#pool);
    for (const m of this.#members.values()) this.#wire(m);
    this.replica = this.#replicaView();
  }

  // ---- pg.Pool API ----------------------------------------------------------------

  /** Clients open or being opened (with replicas: the primary's and the replicas'). */
  get totalCount(): number {
    if (this.#cluster !== null) return this.#sum((s) => s.size);
    return this.#pool.stats().size;
  }

  /** Clients idle in the pool (with replicas: the primary's and the replicas'). */
  get idleCount(): number {
    if (this.#cluster !== null) return this.#sum((s) => s.idle);
    return this.#pool.stats().idle;
  }

  /** `connect()`/`query()` calls waiting for a client (not counting those a connection is being opened for). */
  get waitingCount(): number {
    if (this.#cluster !== null) return this.#sum(waiting);
    return waiting(this.#pool.stats());
  }

  /** Clients past their lifetime, still checked out (closed when released). */
  get expiredCount(): number {
    const now = this.#clock.now();
    let n = 0;
    for (const c of this.#live) if (now >= this.#meta.get(c)!.expiresAt) n++;
    return n;
  }

  /** Checks out a client: `release()` it (or `await using`). Callback form: `(err, client, release)`. */
  connect(): Promise<PgPoolClient<C>>;
  connect(
    callback: (
      err: Error | undefined,
      client: PgPoolClient<C> | undefined,
      release: (err?: Error | boolean) => void,
    ) => void,
  ): void;
  connect(
    callback?: (
      err: Error | undefined,
      client: PgPoolClient<C> | undefined,
      release: (err?: Error | boolean) => void,
    ) => void,
  ): Promise<PgPoolClient<C>> | void {
    return this.#connect(false, callback);
  }

  #connect(
    readOnly: boolean,
    callback?: (
      err: Error | undefined,
      client: PgPoolClient<C> | undefined,
      release: (err?: Error | boolean) => void,
    ) => void,
  ): Promise<PgPoolClient<C>> | void {
    if (this.ending) return deliver(callback, this.#endedError());
    const p = this.#cluster === null ? this.#checkout() : this.#checkoutRouted(readOnly);
    if (typeof callback !== 'function') return p;
    p.then(
      (client) => process.nextTick(callback, undefined, client, client.release),
      (err) => process.nextTick(callback, err, undefined, noop),
    );
  }

  /**
   * Runs one query on a pooled client: text and values, or a config object
   * (`{ text, values, name, rowMode, types }`); promise or callback form (the callback
   * is never called synchronously, and the call then returns `undefined`). A query
   * error destroys that client, as in `pg.Pool`.
   *
   * `{ readOnly: true }` (after the values, or in the config object) lets a healthy
   * replica run it; without replicas it runs on the primary like any query.
   */
  query<R = any>(
    text: string | QueryConfigLike,
    values?: unknown[],
    options?: PgQueryOptions,
  ): Promise<QueryResultLike<R>>;
  query<R = any>(text: string | QueryConfigLike, callback: QueryCallback<R>): void;
  query<R = any>(text: string | QueryConfigLike, values: unknown[] | undefined, callback: QueryCallback<R>): void;
  query<R = any>(
    text: string | QueryConfigLike,
    values: unknown[] | undefined,
    options: PgQueryOptions | undefined,
    callback: QueryCallback<R>,
  ): void;
  query(text: unknown, values?: unknown, options?: unknown, callback?: unknown): Promise<QueryResultLike> | void {
    return this.#dispatch(false, text, values, options, callback);
  }

  #dispatch(
    forceReadOnly: boolean,
    text: unknown,
    values: unknown,
    options: unknown,
    callback: unknown,
  ): Promise<QueryResultLike> | void {
    if (typeof text === 'function') {
      const err = new TypeError('Passing a function as the first parameter to pool.query is not supported');
      return deliver(text as (e: Error) => void, err);
    }
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
      options = undefined;
    } else if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    let p: Promise<QueryResultLike>;
    if (this.ending) p = Promise.reject(this.#endedError());
    else if (
      (options === undefined || options === null) &&
      (text === null || typeof text !== 'object' || !('readOnly' in text))
    ) {
      p = this.#query(text, values, forceReadOnly);
    } else {
      const q = readOnlyQuery(text, options);
      p = q instanceof Error ? Promise.reject(q) : this.#query(q.text, values, forceReadOnly || q.readOnly);
    }
    if (typeof callback !== 'function') return p;
    const cb = callback as QueryCallback;
    p.then(
      (res) => process.nextTick(cb, undefined, res),
      (err) => process.nextTick(cb, err, undefined),
    );
  }

  /**
   * Closes the pool: waiting `connect()`s reject, idle clients close, checked-out ones
   * close when released; resolves when every client is closed. A second call errors,
   * as in `pg.Pool`.
   */
  end(): Promise<void>;
  end(callback: (err?: Error) => void): void;
  end(callback?: (err?: Error) => void): Promise<void> | void {
    this.log('ending');
    if (this.ending) return deliver(callback, new Error('Called end on pool more than once'));
    const p = this.#close(Infinity).then(noop);
    if (typeof callback !== 'function') return p;
    p.then(
      () => process.nextTick(callback),
      (err) => process.nextTick(callback, err),
    );
  }

  // ---- lido additions ---------------------------------------------------------------

  /** The pool's name (option `name`, default `pg-<n>`). */
  get name(): string {
    return this.#pool.name;
  }

  /** The lido core pool underneath (for bindings such as `lido/otel` or `lido/admin`); with replicas, the primary's. */
  get corePool(): Pool<C> {
    return this.#pool;
  }

  /**
   * With `replicas`: the {@link PoolCluster} of the primary's pool and the replicas' (its
   * `stats()`, `health()`, `replicas`, and something to hand `lido/otel`, `lido/prometheus`
   * or `lido/admin` to report every member). Null without replicas.
   */
  get cluster(): PoolCluster<C> | null {
    return this.#cluster;
  }

  /** Resolves once the primary's `min` clients are open (replicas open theirs in the background); rejects if opening them fails. */
  ready(): Promise<void> {
    return this.#pool.ready().catch((e) => {
      throw this.#translate(e);
    });
  }

  /** Runs `fn` with a checked-out client and always releases it (destroyed if the connection broke). */
  use<R>(fn: (client: PgPoolClient<C>) => R | PromiseLike<R>): Promise<Awaited<R>> {
    return this.#use(false, fn);
  }

  async #use<R>(readOnly: boolean, fn: (client: PgPoolClient<C>) => R | PromiseLike<R>): Promise<Awaited<R>> {
    const client = await (this.#connect(readOnly) as Promise<PgPoolClient<C>>);
    let result: Awaited<R>;
    try {
      result = await fn(client);
    } catch (e) {
      client.release(!isQueryable(client) || isConnectionError(e) ? (e instanceof Error ? e : true) : undefined);
      throw e;
    }
    client.release();
    return result;
  }

  /**
   * Counts, counters and latency histograms (no secrets): the primary's; with `replicas`,
   * also its cluster state and `replicas` (each replica's stats and state).
   */
  stats(): PgPoolStats {
    if (this.#cluster === null) return this.#pool.stats();
    const { primary, strategy, healthyReplicas, replicas } = this.#cluster.stats();
    return { ...primary, strategy, healthyReplicas, replicas };
  }

  /**
   * `ok`, `degraded` or `down`, with reasons. With `replicas`, the cluster's: `down` when
   * the primary is, `degraded` when a replica is ejected or any member is not ok; `members`
   * lists each one.
   */
  health(): PgPoolHealth {
    if (this.#cluster !== null) return this.#cluster.health();
    return this.#pool.health();
  }

  /** Sizing and timeout recommendations from what was observed (a replica's say which replica). */
  advise(): Advice[] {
    const advice = this.#pool.advise();
    for (const m of this.#replicas)
      for (const a of m.pool.advise()) advice.push({ ...a, issue: `replica "${m.pool.name}": ${a.issue}` });
    return advice;
  }

  /** Zeroes counters and histograms (of every member). */
  resetStats(): void {
    for (const m of this.#members.values()) m.pool.resetStats();
  }

  /** Changes `min`/`max` at run time (of the primary and every replica; `pool.cluster.replicas[i].resize()` for one). */
  resize(sizes: { min?: number; max?: number }): void {
    for (const m of this.#members.values()) m.pool.resize(sizes);
  }

  /** Effective pool options and connection options, secrets redacted; with `replicas`, each replica's and the cluster options. */
  config(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...this.#pool.config(),
      connection: redactOptions(connectionOptions(this.options), this.#secrets),
    };
    if (this.#cluster === null) return config;
    const { strategy, fallbackToPrimary, ejectAfter } = this.#settings;
    const probe = this.options.probe === undefined ? {} : { ...this.options.probe };
    if (typeof probe.check === 'function') (probe as Record<string, unknown>).check = 'function';
    config.replicaStrategy = strategy;
    config.fallbackToPrimary = fallbackToPrimary;
    config.ejectAfter = ejectAfter;
    config.probe = probe;
    config.replicas = this.#replicas.map((m) => ({
      ...m.pool.config(),
      connection: redactOptions(connectionOptions(m.options as Record<string, unknown>), this.#secrets),
    }));
    return config;
  }

  /**
   * lido's close: like `end()`, but checked-out clients are destroyed after `timeoutMs`
   * (default 30 000) and it resolves with a report. Idempotent (shares `end()`'s work).
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    return this.#close(options.timeoutMs ?? 30_000);
  }

  /** `await using pool = new PgPool(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals --------------------------------------------------------------------

  /** Core options of one pool, from pg-style options; the core's `random` is watched (see `#wire`). */
  #coreOptions(o: PgReplicaOptions<C>, where = ''): ReturnType<typeof toCoreOptions<C>> {
    let core: ReturnType<typeof toCoreOptions<C>>;
    try {
      core = toCoreOptions(o);
    } catch (e) {
      if (where !== '' && e instanceof PoolOptionsError) throw new PoolOptionsError(`${where}${e.message}`);
      throw e;
    }
    const random = core.random ?? Math.random;
    // The core retires a client at created + lifetime × (1 − 0.1 × random()); the value is
    // captured here so `expiredCount` agrees with it (read in the `create` event, which the
    // core emits right after drawing it).
    core.random = () => (this.#lastRandom = random());
    core.name ??= `pg-${++pools}`;
    return core;
  }

  #member(pool: Pool<C>, lifetimeMs: number, options: PgReplicaOptions<C> | null): Member<C> {
    const m: Member<C> = { pool, waiters: new PendingList(), lifetimeMs, replica: options !== null, options };
    this.#members.set(pool, m);
    return m;
  }

  /** Sums a count over every member's stats. */
  #sum(count: (s: PoolStats) => number): number {
    let n = 0;
    for (const m of this.#members.values()) n += count(m.pool.stats());
    return n;
  }

  #replicaView(): PgReplica<C> {
    return Object.freeze({
      query: (text: unknown, values?: unknown, callback?: unknown) =>
        this.#dispatch(true, text, values, undefined, callback),
      connect: (callback?: Parameters<PgReplica<C>['connect']>[0]) => this.#connect(true, callback),
      use: <R>(fn: (client: PgPoolClient<C>) => R | PromiseLike<R>) => this.#use(true, fn),
    }) as PgReplica<C>;
  }

  #wire(member: Member<C>): void {
    const pool = member.pool;
    pool.on('create', (client) => {
      const now = this.#clock.now();
      const life = member.lifetimeMs;
      const meta: ClientMeta<C> = {
        expiresAt: life === 0 ? Infinity : now + life * (1 - 0.1 * this.#lastRandom),
        lease: null,
        onError: null,
        release: (err) => {
          const lease = meta.lease;
          if (lease === null) throwOnDoubleRelease();
          this.#giveBack(client as PgPoolClient<C>, meta, lease, err);
        },
      };
      this.#meta.set(client, meta);
      this.#live.add(client);
      const dispose = (): void => {
        if (meta.lease !== null) (client as PgPoolClient<C>).release();
      };
      Object.defineProperty(client, Symbol.dispose, { value: dispose, configurable: true, writable: true });
      Object.defineProperty(client, Symbol.asyncDispose, {
        value: () => Promise.resolve(dispose()),
        configurable: true,
        writable: true,
      });
      if (this.#unrefIdle) client.unref?.();
      this.emit('connect', client);
    });
    pool.on('destroy', (client, reason) => {
      this.#live.delete(client);
      this.log(
        'remove client',
        typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : reason,
      );
    });
    pool.on('error', (err, client) => {
      if (err.phase === 'create') this.#connectFailed(member, err);
      this.log(`${err.phase ?? 'pool'} error`, err, client);
    });
    pool.on('timeout', (err) => {
      if (this.listenerCount('timeout') > 0) this.emit('timeout', err);
    });
    pool.on('leak', (report) => {
      if (this.listenerCount('leak') > 0) this.emit('leak', report);
    });
  }

  /**
   * A checkout of the primary (no replicas). An idle client is taken synchronously: no
   * AbortController, no waiter entry, no extra promise hop. Only a checkout that has to
   * wait gets the signal that lets a failed connection attempt fail it (see `#connectFailed`).
   */
  #checkout(): Promise<PgPoolClient<C>> {
    let client: PgPoolClient<C> | null;
    try {
      client = this.#checkoutNow();
    } catch (e) {
      return Promise.reject(e);
    }
    return client !== null ? Promise.resolve(client) : this.#checkoutWaiting();
  }

  /** An idle client of the primary, lent now, or null. */
  #checkoutNow(): PgPoolClient<C> | null {
    const lease = this.#core.tryAcquire();
    return lease === null ? null : this.#lend(lease);
  }

  /** Waits for a client of the primary. */
  #checkoutWaiting(): Promise<PgPoolClient<C>> {
    const ticket = ++this.#tickets;
    const acquired = this.#core.acquireQueued(this.#handle);
    const id = this.#queued(ticket);
    return acquired.then(
      (lease) => {
        this.#ring.remove(id);
        return this.#lend(lease);
      },
      (e: unknown) => {
        this.#ring.remove(id);
        throw this.#translate(e);
      },
    );
  }

  /**
   * Right after `acquireQueued(this.#handle)`: the core's waiter it queued (none when it
   * lent at once) joins `#ring` with the checkout's ticket, so that a failed connection
   * attempt can fail it (no AbortController, signal, listener or node per checkout).
   * Returns its entry's number (-1: none).
   */
  #queued(ticket: number): number {
    const waiter = this.#handle.waiter;
    if (waiter === null) return -1;
    this.#handle.waiter = null;
    return this.#ring.push(waiter, ticket);
  }

  /**
   * A checkout through the cluster (there are replicas): a read goes to a healthy replica.
   * If the replica refused the connection (nothing was sent), the read is tried again
   * through the cluster, within the same deadline: the failure counts towards that
   * replica's ejection, and the next try goes to another replica or the primary.
   */
  async #checkoutRouted(readOnly: boolean): Promise<PgPoolClient<C>> {
    const cluster = this.#cluster!;
    const started = this.#clock.now();
    for (let retries = 0; ; retries++) {
      const ac = new AbortController();
      const checkout = new RoutedCheckout<C>(++this.#tickets, ac);
      (ac.signal as CheckoutSignal)[kCheckout] = checkout;
      let lease: Lease<C>;
      try {
        // A retry gets what is left of the first try's deadline (the primary's acquireTimeoutMs).
        const again = retries > 0 && this.#acquireTimeoutMs !== Infinity;
        const timeoutMs = again ? this.#acquireTimeoutMs - (this.#clock.now() - started) : undefined;
        lease = await cluster.acquire(
          timeoutMs === undefined ? { readOnly, signal: ac.signal } : { readOnly, signal: ac.signal, timeoutMs },
        );
      } catch (e) {
        if (readOnly && this.#mayRetry(checkout, e, retries, started)) continue;
        throw this.#translate(e);
      } finally {
        checkout.member?.waiters.remove(checkout);
      }
      return this.#lend(lease);
    }
  }

  /** A read failed on a replica before anything was sent (its connection attempt failed): try again? */
  #mayRetry(checkout: RoutedCheckout<C>, e: unknown, retries: number, started: number): boolean {
    if (checkout.member === null || !checkout.member.replica || this.ending || retries >= this.#maxRetries)
      return false;
    if (this.#acquireTimeoutMs - (this.#clock.now() - started) < 1) return false;
    const signal = checkout.ac.signal;
    const refused = signal.aborted && signal.reason === e;
    return refused || e instanceof CreateError;
  }

  /** The cluster picked `pool` for the checkout passing `signal`: its connection failures may now fail that checkout. */
  #routed(pool: Pool<C>, signal: AbortSignal | undefined): void {
    const checkout = (signal as CheckoutSignal | undefined)?.[kCheckout];
    const member = this.#members.get(pool);
    if (checkout === undefined || member === undefined) return;
    checkout.member = member;
    member.waiters.push(checkout);
  }

  /** Lends the client of `lease` to a `connect()` caller: its own `release`, which throws once used. */
  #lend(lease: Lease<C>): PgPoolClient<C> {
    const client = lease.resource as PgPoolClient<C>;
    const meta = this.#meta.get(client)!;
    let released = false;
    client.release = (err?: Error | boolean) => {
      if (released) throwOnDoubleRelease();
      released = true;
      this.#giveBack(client, meta, lease, err);
    };
    this.#lent(client, meta, lease);
    return client;
  }

  /** The client of `lease` goes out: PgPool's records, and the `acquire` event. */
  #lent(client: PgPoolClient<C>, meta: ClientMeta<C>, lease: Lease<C>): void {
    meta.lease = lease;
    if (this.#unrefIdle) client.ref?.();
    try {
      this.emit('acquire', client);
    } catch (e) {
      client.release(); // an 'acquire' listener threw: the checkout fails, the client goes back
      throw e;
    }
  }

  /** `client.release(err)`: back to the pool, or destroyed (`err`, or a connection no longer usable). */
  #giveBack(client: PgPoolClient<C>, meta: ClientMeta<C>, lease: Lease<C>, err: Error | boolean | undefined): void {
    meta.lease = null;
    this.emit('release', err, client);
    if (err) lease.destroy(err);
    else if (!isQueryable(client))
      lease.destroy(new Error('client released in an unusable state (connection ended or broken)'));
    else {
      if (this.#unrefIdle) client.unref?.();
      lease.release();
    }
  }

  #query(text: unknown, values: unknown, readOnly: boolean): Promise<QueryResultLike> {
    if (this.#cluster !== null) return this.#checkoutRouted(readOnly).then((client) => this.#run(client, text, values));
    let lease: Lease<C> | null;
    try {
      lease = this.#core.tryAcquire();
    } catch (e) {
      return Promise.reject(e);
    }
    // One promise per query, settled by the query's callback: an idle client runs the query
    // in this tick; a waiting checkout runs it in the acquire's own continuation, and its
    // result reaches the caller one hop after the server's answer (no promise adopting another).
    return new Promise<QueryResultLike>((resolve, reject) => {
      if (lease !== null) this.#start(lease, text, values, resolve, reject);
      else this.#wait(text, values, resolve, reject);
    });
  }

  /**
   * A `pool.query()` waits for a client of the primary. What it keeps alive while it waits
   * is kept small (one context, one function besides the core's waiter and promise): each
   * scavenge copies it for every waiting query.
   */
  #wait(text: unknown, values: unknown, resolve: (r: QueryResultLike) => void, reject: (e: unknown) => void): void {
    const ticket = ++this.#tickets;
    const acquired = this.#core.acquireQueued(this.#handle);
    const id = this.#queued(ticket);
    // One function for both outcomes: the core resolves with a Lease, and never rejects with one.
    const then = (r: unknown): void => {
      this.#ring.remove(id);
      if (r instanceof Lease) this.#start(r as Lease<C>, text, values, resolve, reject);
      else reject(this.#translate(r));
    };
    acquired.then(then, then);
  }

  /** Runs one query on a checked-out client and releases it (destroyed on error). */
  #run(client: PgPoolClient<C>, text: unknown, values: unknown): Promise<QueryResultLike> {
    return new Promise<QueryResultLike>((resolve, reject) =>
      this.#send(client, this.#meta.get(client)!, text, values, resolve, reject),
    );
  }

  /** Lends the client of `lease` to a `pool.query()` and runs the query on it. */
  #start(
    lease: Lease<C>,
    text: unknown,
    values: unknown,
    resolve: (r: QueryResultLike) => void,
    reject: (e: unknown) => void,
  ): void {
    const client = lease.resource as PgPoolClient<C>;
    const meta = this.#meta.get(client)!;
    // Nobody outside holds this checkout's `release`: the client's own one does (no closure per query).
    client.release = meta.release;
    try {
      this.#lent(client, meta, lease);
    } catch (e) {
      reject(e);
      return;
    }
    this.#send(client, meta, text, values, resolve, reject);
  }

  /**
   * Sends one query on a checked-out client, releases the client when it settles
   * (destroyed on error, as pg.Pool does) and settles the caller's promise. An `error`
   * event of the client meanwhile (through `#clientError`) does the same at once.
   */
  #send(
    client: PgPoolClient<C>,
    meta: ClientMeta<C>,
    text: unknown,
    values: unknown,
    resolve: (r: QueryResultLike) => void,
    reject: (e: unknown) => void,
  ): void {
    let done = false;
    // One closure per query: pg's callback, and (with `raw`) the client's error event or a throw.
    const settle: Settle = (err, res, raw) => {
      if (raw !== true) this.log('query dispatched');
      if (meta.onError === settle) meta.onError = null;
      if (done) return;
      done = true;
      client.release(err ?? undefined);
      if (err) reject(raw === true ? err : this.#secrets.error(err));
      else resolve(res!);
    };
    meta.onError = settle;
    try {
      this.log('dispatching query');
      client.query(text, values, settle);
    } catch (err) {
      settle(err as Error, undefined, true);
    }
  }

  /** A connection attempt of one pool failed: like pg.Pool, the (oldest) pending connect() on it gets that error. */
  #connectFailed(member: Member<C>, err: PoolError): void {
    // Only the driver's errors (tagged by the factory) go to a waiter. lido's own create
    // timeout does not: every waiter has its own deadline (connectionTimeoutMillis).
    const cause = err.cause as { [kTicket]?: number } | undefined;
    const ticket = cause?.[kTicket];
    if (ticket === undefined) return;
    if (this.#cluster === null) {
      // The primary alone: its checkouts' core waiters.
      this.#ring.forEach((waiter, since, id) => {
        if (since > ticket) return false; // came after that attempt started: it gets its own
        if (!this.#core.withdraw(waiter, cause)) return true; // already handed a client
        this.#ring.remove(id);
        return false;
      });
      return;
    }
    // Checkouts through the cluster that it routed to this member.
    const waiters = member.waiters;
    for (let pending = waiters.head; pending !== null; pending = pending.next) {
      if (pending.ticket > ticket) return;
      const ac = pending.ac;
      if (ac.signal.aborted) continue;
      waiters.remove(pending);
      ac.abort(cause);
      return;
    }
  }

  /** An idle client's error: it is already evicted; tell the application (never crash). */
  #clientError(err: Error & { client?: C }, client: C): void {
    const meta = this.#meta.get(client);
    if (meta === undefined || meta.lease !== null) {
      this.log('checked-out client error (the client will be destroyed on release)', err);
      meta?.onError?.(err, undefined, true); // a pool.query() running on it fails now
      return;
    }
    err.client = client;
    if (this.listenerCount('error') > 0) this.emit('error', err, client);
    else this.log('idle client error (no error listener on the pool)', err);
  }

  /** Core errors in `pg.Pool`'s words where code matches on them. */
  #translate(e: unknown): unknown {
    if (e instanceof AcquireTimeoutError) {
      // Stackless like the core's (see withoutStack): this runs in a promise reaction, whose stack holds nothing of the caller.
      return withoutStack(
        () => new AcquireTimeoutError(`timeout exceeded when trying to connect (${e.message})`, errorOptions(e)),
      );
    }
    if (e instanceof PoolClosedError) return this.#endedError(e.counts);
    return this.#secrets.error(e);
  }

  #endedError(counts?: PoolCounts): PoolClosedError {
    return new PoolClosedError(ENDED, { pool: this.#pool.name, counts });
  }

  #close(timeoutMs: number): Promise<CloseReport> {
    if (this.#closing !== null) return this.#closing;
    this.ending = true;
    this.#closing = (this.#cluster ?? this.#pool).close({ timeoutMs }).then((report) => {
      this.ended = true;
      return report;
    });
    return this.#closing;
  }
}

/** pg's `waitingCount` of one pool. */
function waiting(s: PoolStats): number {
  return Math.max(0, s.pending - s.creating - s.checking);
}

/** Builds a replica's pool, naming the replica in an option error. */
function replicaPool<C>(where: string, build: () => Pool<C>): Pool<C> {
  try {
    return build();
  } catch (e) {
    if (!(e instanceof PoolOptionsError)) throw e;
    throw new PoolOptionsError(
      e.message.startsWith('Pool options: ') ? `${where}: ${e.message.slice(14)}` : `${where}.${e.message}`,
    );
  }
}

function errorOptions(e: PoolError): { pool?: string; counts?: PoolCounts; cause?: unknown } {
  return { pool: e.pool, counts: e.counts, cause: e.cause };
}

/** Calls back on the next tick, or rejects. */
function deliver(callback: ((err: Error, ...rest: any[]) => void) | undefined, err: Error): Promise<never> | void {
  if (typeof callback === 'function') {
    process.nextTick(callback, err, undefined, noop);
    return;
  }
  return Promise.reject(err);
}

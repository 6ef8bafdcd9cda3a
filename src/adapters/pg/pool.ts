import { EventEmitter } from 'node:events';
import { noteNewPoolAt } from '../../stats/churn.js';
import { systemClock } from '../../core/util/clock.js';
import { pgTarget } from './target.js';
import type { PoolCluster } from '../../cluster/cluster.js';
import { PoolOptionsError } from '../../core/errors.js';
import type { CloseOptions, CloseReport, Pool } from '../../core/pool.js';
import type { Advice } from '../../stats/advice.js';
import { declarePoolKind } from '../../config/kind.js';
import { checkoutsDrained } from './ending.js';
import { deliverError, endedError } from './errors.js';
import { membersConfig, sumStats } from './members.js';
import { membersAdvice, membersHealth, membersStats } from './reports.js';
import { copyOptions, type PgPoolOptions } from './options.js';
import type {
  ConnectCallback,
  PgPoolClient,
  PgPoolEvents,
  PgPoolHealth,
  PgPoolStats,
  PgQueryOptions,
  PgReplica,
} from './pool-types.js';
import { buildParts, type PgPoolParts } from './parts.js';
import { Secrets } from '../../core/util/redact.js';
import type { ClientConstructor, ClientLike, QueryCallback, QueryConfigLike, QueryResultLike } from './types.js';

const noop = (): void => {};

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

  readonly #secrets = new Secrets();
  readonly #parts: PgPoolParts<C>;
  /** The primary's core pool. */
  readonly #pool: Pool<C>;
  #closing: Promise<CloseReport> | null = null;

  /** `new PgPool(options, Client?)`: `options.Client` wins over the `Client` argument, which wins over `require('pg').Client`. */
  constructor(options: PgPoolOptions<C> = {}, Client?: ClientConstructor<C>) {
    super({ captureRejections: false });
    if (options === null || typeof options !== 'object')
      throw new PoolOptionsError(
        `PgPool options: expected an object, got ${options === null ? 'null' : typeof options}`,
      );
    this.options = copyOptions(options);
    this.log = typeof options.log === 'function' ? options.log : noop;
    const parts = (this.#parts = buildParts(this.options, Client, {
      events: this,
      secrets: this.#secrets,
      log: this.log,
      ending: () => this.ending,
    }));
    this.#pool = parts.members.primary.pool;
    // A PgPool made per request: LIDO_POOL_CHURN (stats/churn.ts).
    noteNewPoolAt(`PgPool ${pgTarget(options)}`, (options.clock ?? systemClock).now(), new.target);
    this.Client = parts.members.factory.Client;
    this.replica = Object.freeze({
      query: (text: unknown, values?: unknown, callback?: unknown) =>
        this.#parts.queries.dispatch(true, text, values, undefined, callback),
      connect: (callback?: ConnectCallback<C>) => this.#connect(true, callback),
      use: <R>(fn: (client: PgPoolClient<C>) => R | PromiseLike<R>) => this.#use(true, fn),
    }) as PgReplica<C>;
  }

  // ---- pg.Pool API ----------------------------------------------------------------
  /** Clients open or being opened (with replicas: the primary's and the replicas'). */
  get totalCount(): number {
    return sumStats(this.#parts.members, (s) => s.size);
  }

  /** Clients idle in the pool (with replicas: the primary's and the replicas'). */
  get idleCount(): number {
    return sumStats(this.#parts.members, (s) => s.idle);
  }

  /** `connect()`/`query()` calls waiting for a client (not counting those a connection is being opened for). */
  get waitingCount(): number {
    return sumStats(this.#parts.members, (s) => Math.max(0, s.pending - s.creating - s.checking));
  }

  /** Clients past their lifetime, still checked out (closed when released). */
  get expiredCount(): number {
    return this.#parts.clients.expiredCount();
  }

  /** pg-pool's internal list of the clients open (a copy; code and tests written for pg-pool read it). */
  get _clients(): C[] {
    return this.#parts.clients.list();
  }

  /** Checks out a client: `release()` it (or `await using`). Callback form: `(err, client, release)`. */
  connect(): Promise<PgPoolClient<C>>;
  connect(callback: ConnectCallback<C>): void;
  connect(callback?: ConnectCallback<C>): Promise<PgPoolClient<C>> | undefined {
    return this.#connect(false, callback);
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
  query(text: unknown, values?: unknown, options?: unknown, callback?: unknown): Promise<QueryResultLike> | undefined {
    return this.#parts.queries.dispatch(false, text, values, options, callback);
  }

  /**
   * Closes the pool, as `pg.Pool` does: new `connect()`s and queries are refused at once;
   * those already waiting are served; idle clients close, checked-out ones close when
   * released; resolves when every client is closed. A second call errors.
   */
  end(): Promise<void>;
  end(callback: (err?: Error) => void): void;
  end(callback?: (err?: Error) => void): Promise<void> | undefined {
    this.log('ending');
    if (this.ending) return deliverError(callback, new Error('Called end on pool more than once'));
    const p = this.#close(Infinity, true).then(noop);
    if (typeof callback !== 'function') return p;
    p.then(
      () => process.nextTick(callback),
      (err) => process.nextTick(callback, err),
    );
    return undefined;
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
    return this.#parts.members.cluster;
  }

  /** Resolves once the primary's `min` clients are open (replicas open theirs in the background); rejects if opening them fails. */
  ready(): Promise<void> {
    if (this.ending) return Promise.reject(endedError(this.#pool.name));
    return this.#pool.ready().catch((e) => {
      throw this.#parts.translate(e);
    });
  }

  /** Runs `fn` with a checked-out client and always releases it (destroyed if the connection broke). */
  use<R>(fn: (client: PgPoolClient<C>) => R | PromiseLike<R>): Promise<Awaited<R>> {
    return this.#use(false, fn);
  }

  /**
   * Counts, counters and latency histograms (no secrets): the primary's; with `replicas`,
   * also its cluster state and `replicas` (each replica's stats and state).
   */
  stats(): PgPoolStats {
    return membersStats(this.#parts.members);
  }

  /**
   * `ok`, `degraded` or `down`, with reasons. With `replicas`, the cluster's: `down` when
   * the primary is, `degraded` when a replica is ejected or any member is not ok; `members`
   * lists each one.
   */
  health(): PgPoolHealth {
    return membersHealth(this.#parts.members);
  }

  /** Sizing and timeout recommendations from what was observed (a replica's say which replica). */
  advise(): Advice[] {
    return membersAdvice(this.#parts.members);
  }

  /** Zeroes counters and histograms (of every member). */
  resetStats(): void {
    for (const pool of this.#parts.members.byPool.keys()) pool.resetStats();
  }

  /** Changes `min`/`max` at run time (of the primary and every replica; `pool.cluster.replicas[i].resize()` for one). */
  resize(sizes: { min?: number; max?: number }): void {
    for (const pool of this.#parts.members.byPool.keys()) pool.resize(sizes);
  }

  /** Effective pool options and connection options, secrets redacted; with `replicas`, each replica's and the cluster options. */
  config(): Record<string, unknown> {
    return membersConfig(this.#parts.members, this.options, this.#secrets);
  }

  /**
   * lido's close: like `end()`, but checked-out clients are destroyed after `timeoutMs`
   * (default 30 000) and it resolves with a report. Idempotent (shares `end()`'s work).
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    return this.#close(options.timeoutMs ?? 30_000, false);
  }

  /** `await using pool = new PgPool(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals --------------------------------------------------------------------
  #connect(readOnly: boolean, callback?: ConnectCallback<C>): Promise<PgPoolClient<C>> | undefined {
    if (this.ending) return deliverError(callback, endedError(this.#pool.name));
    const p = this.#parts.checkouts.connect(readOnly);
    if (typeof callback !== 'function') return p;
    p.then(
      (client) => process.nextTick(callback, undefined, client, client.release),
      (err) => process.nextTick(callback, err, undefined, noop),
    );
    return undefined;
  }

  #use<R>(readOnly: boolean, fn: (client: PgPoolClient<C>) => R | PromiseLike<R>): Promise<Awaited<R>> {
    if (this.ending) return Promise.reject(endedError(this.#pool.name));
    return this.#parts.checkouts.use(readOnly, fn);
  }

  /** `graceful`: checkouts already waiting are served first (`end()`); else they are rejected (`close()`). */
  #close(timeoutMs: number, graceful: boolean): Promise<CloseReport> {
    if (this.#closing !== null) return this.#closing;
    this.ending = true;
    const members = this.#parts.members;
    const close = (): Promise<CloseReport> => (members.cluster ?? this.#pool).close({ timeoutMs });
    const waiting = [...members.byPool.values()].map((m) => m.waiters);
    const closed = graceful ? checkoutsDrained(waiting).then(close) : close();
    this.#closing = closed.then((report) => {
      this.ended = true;
      return report;
    });
    return this.#closing;
  }
}

declarePoolKind(PgPool, 'database');

import { EventEmitter } from 'node:events';
import type { Advice } from '../../advice.js';
import type { Clock } from '../../clock.js';
import { systemClock } from '../../clock.js';
import { AcquireTimeoutError, PoolClosedError, PoolError, PoolOptionsError, type PoolCounts } from '../../errors.js';
import type { Health } from '../../health.js';
import type { LeakReport } from '../../leak-detector.js';
import type { Lease } from '../../lease.js';
import { defaults } from '../../options.js';
import { Pool, type CloseOptions, type CloseReport } from '../../pool.js';
import type { PoolStats } from '../../stats.js';
import { createPgFactory, kTicket, type PgFactory } from './factory.js';
import { connectionOptions, copyOptions, toCoreOptions, type PgPoolOptions } from './options.js';
import { Secrets, redactOptions } from './redact.js';
import { isConnectionError, isQueryable } from './session.js';
import type { ClientConstructor, ClientLike, QueryCallback, QueryConfigLike, QueryResultLike } from './types.js';

/** A client checked out of a {@link PgPool}: the driver's client plus `release()` and disposal. */
export type PgPoolClient<C extends ClientLike = ClientLike> = C & {
  /** Returns the client; a truthy `err` destroys it instead. A second call throws (as in `pg.Pool`). */
  release(err?: Error | boolean): void;
} & Disposable & AsyncDisposable;

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
  error: [err: Error & { client?: C }, client: C];
  /** A `connect()` timed out. */
  timeout: [error: AcquireTimeoutError];
  /** A client was held longer than `leakDetectionMs`. */
  leak: [report: LeakReport];
}

interface ClientMeta<C extends ClientLike> {
  expiresAt: number;
  lease: Lease<C> | null;
}

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
 */
export class PgPool<C extends ClientLike = ClientLike> extends EventEmitter<PgPoolEvents<C>> implements AsyncDisposable {
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

  readonly #pool: Pool<C>;
  readonly #factory: PgFactory<C>;
  readonly #secrets: Secrets;
  readonly #clock: Clock;
  readonly #meta = new WeakMap<C, ClientMeta<C>>();
  readonly #live = new Set<C>();
  /**
   * Pending checkouts, oldest first, with their ticket: a failed connection attempt fails
   * the oldest checkout that was already waiting when the attempt started (as pg.Pool,
   * where each connect() makes its own attempt and gets its error).
   */
  readonly #waiters = new Map<AbortController, number>();
  #tickets = 0;
  readonly #unrefIdle: boolean;
  readonly #lifetimeMs: number;
  #lastRandom = 0;
  #closing: Promise<CloseReport> | null = null;

  /** `new PgPool(options, Client?)`: `options.Client` wins over the `Client` argument, which wins over `require('pg').Client`. */
  constructor(options: PgPoolOptions<C> = {}, Client?: ClientConstructor<C>) {
    super({ captureRejections: false });
    if (options === null || typeof options !== 'object') throw new PoolOptionsError(`PgPool options: expected an object, got ${options === null ? 'null' : typeof options}`);
    this.options = copyOptions(options);
    this.log = typeof options.log === 'function' ? options.log : noop;
    this.#secrets = new Secrets();
    this.#factory = createPgFactory<C>(this.options, Client, {
      clientError: (err, client) => this.#clientError(err, client),
      removed: (client) => {
        if (this.#meta.has(client)) this.emit('remove', client);
      },
      log: this.log,
      ticket: () => ++this.#tickets,
    }, this.#secrets);
    this.Client = this.#factory.Client;
    this.#unrefIdle = options.allowExitOnIdle === true;

    const core = toCoreOptions(options);
    const random = core.random ?? Math.random;
    // The core retires a client at created + lifetime × (1 − 0.1 × random()); the value is
    // captured here so `expiredCount` agrees with it (read in the `create` event, which the
    // core emits right after drawing it).
    core.random = () => (this.#lastRandom = random());
    core.name ??= `pg-${++pools}`;
    this.#pool = new Pool<C>({ ...core, factory: this.#factory });
    this.#clock = core.clock ?? systemClock;
    this.#lifetimeMs = core.maxLifetimeMs ?? defaults.maxLifetimeMs;
    this.#wire();
  }

  // ---- pg.Pool API ----------------------------------------------------------------

  /** Clients open or being opened. */
  get totalCount(): number {
    return this.#pool.stats().size;
  }

  /** Clients idle in the pool. */
  get idleCount(): number {
    return this.#pool.stats().idle;
  }

  /** `connect()`/`query()` calls waiting for a client (not counting those a connection is being opened for). */
  get waitingCount(): number {
    const s = this.#pool.stats();
    return Math.max(0, s.pending - s.creating - s.checking);
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
  connect(callback: (err: Error | undefined, client: PgPoolClient<C> | undefined, release: (err?: Error | boolean) => void) => void): void;
  connect(callback?: (err: Error | undefined, client: PgPoolClient<C> | undefined, release: (err?: Error | boolean) => void) => void): Promise<PgPoolClient<C>> | void {
    if (this.ending) return deliver(callback, this.#endedError());
    const p = this.#checkout();
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
   */
  query<R = any>(text: string | QueryConfigLike, values?: unknown[]): Promise<QueryResultLike<R>>;
  query<R = any>(text: string | QueryConfigLike, callback: QueryCallback<R>): void;
  query<R = any>(text: string | QueryConfigLike, values: unknown[] | undefined, callback: QueryCallback<R>): void;
  query(text: unknown, values?: unknown, callback?: unknown): Promise<QueryResultLike> | void {
    if (typeof text === 'function') {
      const err = new TypeError('Passing a function as the first parameter to pool.query is not supported');
      return deliver(text as (e: Error) => void, err);
    }
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    const p = this.ending ? Promise.reject(this.#endedError()) : this.#query(text, values);
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
    p.then(() => process.nextTick(callback), (err) => process.nextTick(callback, err));
  }

  // ---- lido additions ---------------------------------------------------------------

  /** The pool's name (option `name`, default `pg-<n>`). */
  get name(): string {
    return this.#pool.name;
  }

  /** The lido core pool underneath (for bindings such as `lido/otel` or `lido/admin`). */
  get corePool(): Pool<C> {
    return this.#pool;
  }

  /** Resolves once `min` clients are open; rejects if opening them fails. */
  ready(): Promise<void> {
    return this.#pool.ready().catch((e) => {
      throw this.#translate(e);
    });
  }

  /** Runs `fn` with a checked-out client and always releases it (destroyed if the connection broke). */
  async use<R>(fn: (client: PgPoolClient<C>) => R | PromiseLike<R>): Promise<Awaited<R>> {
    const client = await this.connect();
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

  /** Counts, counters and latency histograms (no secrets). */
  stats(): PoolStats {
    return this.#pool.stats();
  }

  /** `ok`, `degraded` or `down`, with reasons. */
  health(): Health {
    return this.#pool.health();
  }

  /** Sizing and timeout recommendations from what was observed. */
  advise(): Advice[] {
    return this.#pool.advise();
  }

  /** Zeroes counters and histograms. */
  resetStats(): void {
    this.#pool.resetStats();
  }

  /** Changes `min`/`max` at run time. */
  resize(sizes: { min?: number; max?: number }): void {
    this.#pool.resize(sizes);
  }

  /** Effective pool options and connection options, secrets redacted. */
  config(): Record<string, unknown> {
    return { ...this.#pool.config(), connection: redactOptions(connectionOptions(this.options), this.#secrets) };
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

  #wire(): void {
    const pool = this.#pool;
    pool.on('create', (client) => {
      const now = this.#clock.now();
      const life = this.#lifetimeMs;
      const meta: ClientMeta<C> = { expiresAt: life === 0 ? Infinity : now + life * (1 - 0.1 * this.#lastRandom), lease: null };
      this.#meta.set(client, meta);
      this.#live.add(client);
      const dispose = (): void => {
        if (meta.lease !== null) (client as PgPoolClient<C>).release();
      };
      Object.defineProperty(client, Symbol.dispose, { value: dispose, configurable: true, writable: true });
      Object.defineProperty(client, Symbol.asyncDispose, { value: () => Promise.resolve(dispose()), configurable: true, writable: true });
      if (this.#unrefIdle) client.unref?.();
      this.emit('connect', client);
    });
    pool.on('destroy', (client, reason) => {
      this.#live.delete(client);
      this.log('remove client', typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : reason);
    });
    pool.on('error', (err, client) => {
      if (err.phase === 'create') this.#connectFailed(err);
      this.log(`${err.phase ?? 'pool'} error`, err, client);
    });
    pool.on('timeout', (err) => {
      if (this.listenerCount('timeout') > 0) this.emit('timeout', err);
    });
    pool.on('leak', (report) => {
      if (this.listenerCount('leak') > 0) this.emit('leak', report);
    });
  }

  async #checkout(): Promise<PgPoolClient<C>> {
    const ac = new AbortController();
    this.#waiters.set(ac, ++this.#tickets);
    let lease: Lease<C>;
    try {
      lease = await this.#pool.acquire({ signal: ac.signal });
    } catch (e) {
      throw this.#translate(e);
    } finally {
      this.#waiters.delete(ac);
    }
    return this.#lend(lease);
  }

  #lend(lease: Lease<C>): PgPoolClient<C> {
    const client = lease.resource as PgPoolClient<C>;
    const meta = this.#meta.get(client)!;
    meta.lease = lease;
    if (this.#unrefIdle) client.ref?.();
    let released = false;
    client.release = (err?: Error | boolean) => {
      if (released) throwOnDoubleRelease();
      released = true;
      meta.lease = null;
      this.emit('release', err, client);
      if (err) lease.destroy(err);
      else if (!isQueryable(client)) lease.destroy(new Error('client released in an unusable state (connection ended or broken)'));
      else {
        if (this.#unrefIdle) client.unref?.();
        lease.release();
      }
    };
    this.emit('acquire', client);
    return client;
  }

  async #query(text: unknown, values: unknown): Promise<QueryResultLike> {
    const client = await this.#checkout();
    return new Promise<QueryResultLike>((resolve, reject) => {
      let done = false;
      const onError = (err: Error): void => {
        if (done) return;
        done = true;
        client.release(err);
        reject(err);
      };
      client.on('error', onError);
      this.log('dispatching query');
      try {
        client.query(text, values, (err: Error | undefined, res: QueryResultLike) => {
          this.log('query dispatched');
          client.removeListener('error', onError);
          if (done) return;
          done = true;
          client.release(err);
          if (err) reject(this.#secrets.error(err));
          else resolve(res);
        });
      } catch (err) {
        client.removeListener('error', onError);
        if (done) return;
        done = true;
        client.release(err as Error);
        reject(err);
      }
    });
  }

  /** A connection attempt failed: like pg.Pool, the (oldest) pending connect() gets that error. */
  #connectFailed(err: PoolError): void {
    // Only the driver's errors (tagged by the factory) go to a waiter. lido's own create
    // timeout does not: every waiter has its own deadline (connectionTimeoutMillis).
    const cause = err.cause as { [kTicket]?: number } | undefined;
    const ticket = cause?.[kTicket];
    if (ticket === undefined) return;
    for (const [ac, since] of this.#waiters) {
      if (since > ticket) return; // came after that attempt started: it gets its own
      if (ac.signal.aborted) continue;
      this.#waiters.delete(ac);
      ac.abort(cause);
      return;
    }
  }

  /** An idle client's error: it is already evicted; tell the application (never crash). */
  #clientError(err: Error & { client?: C }, client: C): void {
    const meta = this.#meta.get(client);
    if (meta === undefined || meta.lease !== null) {
      this.log('checked-out client error (the client will be destroyed on release)', err);
      return;
    }
    err.client = client;
    if (this.listenerCount('error') > 0) this.emit('error', err, client);
    else this.log('idle client error (no error listener on the pool)', err);
  }

  /** Core errors in `pg.Pool`'s words where code matches on them. */
  #translate(e: unknown): unknown {
    if (e instanceof AcquireTimeoutError) {
      return new AcquireTimeoutError(`timeout exceeded when trying to connect (${e.message})`, errorOptions(e));
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
    this.#closing = this.#pool.close({ timeoutMs }).then((report) => {
      this.ended = true;
      return report;
    });
    return this.#closing;
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

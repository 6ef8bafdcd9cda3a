import { PoolError } from '../../core/errors.js';
import type { QueuedAcquire } from '../../core/internal.js';
import { useFrames, type CapturedFrames } from '../../core/util/caller-frames.js';
import type { Checkout } from '../../keyed/keyed-pool.js';
import type { Lease } from '../../core/lease.js';
import { type Pool, poolInternals } from '../../core/pool.js';
import type { Connection } from './connection.js';
import { Attempt, safeToResend, staleSocket, watchSignal } from './attempt.js';
import type { ControllerLike, DispatchOptionsLike, HandlerLike } from './types.js';

/** What a request needs from its pool. */
export interface FlightHost {
  /**
   * Borrows a connection to `origin` for `flight`: an idle one now, or null: then the
   * flight waits in `flight.queuedIn` and gets `got(lease, n)` or `lost(error, n)`.
   * Throws what the acquire fails with at once.
   */
  checkout(origin: string, flight: Flight, n: number): Lease<Connection> | null;
  /** The request is over (answered, failed or aborted): it no longer counts as in flight. */
  finished(flight: Flight): void;
  /** The request is sent again on another connection. */
  retried(flight: Flight): void;
  /** The caller paused the response body (`true`: start the leak timer) or resumed it / the request ended (`false`: stop it). */
  paused(flight: Flight, paused: boolean): void;
}

/**
 * One dispatched request, from `dispatch()` to its last callback. To the caller's
 * handler it is the controller (`abort`, `pause`, `resume`), handed over at once in
 * `onRequestStart`, so an abort while the request waits for a connection leaves the
 * queue at once. It borrows a connection, dispatches on its `Client`, and gives the
 * connection back when the response ends (or destroys it when the request fails); an
 * idempotent request whose socket the server had just closed is sent again (see
 * {@link Flight.failed}).
 */
export class Flight implements ControllerLike, Checkout<Connection> {
  readonly origin: string;
  readonly opts: DispatchOptionsLike;
  readonly user: HandlerLike;
  /** Where the request was made (captured when leak detection is on). */
  readonly stack: Error | null;
  readonly #host: FlightHost;
  current: Attempt | null = null;
  headersIn = false;
  /** Links in the pool's list of requests in flight. */
  prev: Flight | null = null;
  next: Flight | null = null;
  /** When the request was dispatched, on the pool's clock (read only while leak detection is on; 0 otherwise). */
  readonly since: number;
  /** The leak timer while the body is paused (managed by the host). */
  leakTimer: unknown = null;
  /** True once reported as a leak. */
  leaked = false;
  /** @internal The pool the flight waits in for a connection, and its queued acquire there (see `KeyedInternals.checkout`). */
  queuedIn: Pool<Connection> | null = null;
  waiter: QueuedAcquire<Connection> | null = null;
  /** @internal Who dispatched it, captured when it had to wait: given to the errors lido raises on it. */
  callers: CapturedFrames | null = null;
  /** The number of the acquire in progress (0: none). */
  #acquiring = 0;
  #acquires = 0;
  #done = false;
  #retried = false;
  #aborted = false;
  #paused = false;
  #reason: Error | null = null;
  #unwatch: (() => void) | null = null;

  constructor(
    host: FlightHost,
    origin: string,
    opts: DispatchOptionsLike,
    user: HandlerLike,
    stack: Error | null,
    since: number,
  ) {
    this.#host = host;
    this.since = since;
    this.origin = origin;
    this.opts = opts;
    this.user = user;
    this.stack = stack;
  }

  get aborted(): boolean {
    return this.#aborted;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get reason(): Error | null {
    return this.#reason;
  }
  get rawHeaders(): unknown {
    return this.current?.ctrl?.rawHeaders;
  }
  get rawTrailers(): unknown {
    return this.current?.ctrl?.rawTrailers;
  }
  get done(): boolean {
    return this.#done;
  }

  /** Hands the caller its controller, then queues for a connection (unless it aborted at once). */
  start(): void {
    try {
      this.user.onRequestStart?.(this, null);
    } catch (e) {
      this.abort(e as Error);
    }
    if (this.#done) return;
    const signal = this.opts.signal;
    if (signal != null && typeof signal === 'object')
      this.#unwatch = watchSignal(signal, (reason) => this.abort(reason));
    if (!this.#done) this.#acquire();
  }

  abort(reason: Error): void {
    if (this.#aborted || this.#done) return;
    this.#aborted = true;
    this.#reason = reason;
    const a = this.current;
    if (a?.ctrl) return a.ctrl.abort(reason); // undici calls onResponseError
    this.#acquiring = 0;
    this.#leaveQueue(reason);
    if (a !== null) {
      // Dispatched, not written yet: the connection is dropped with the request.
      this.current = null;
      a.lease.destroy(reason);
    }
    this.#fail(reason);
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.current?.ctrl?.pause();
    if (!this.#done) this.#host.paused(this, true);
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#host.paused(this, false);
    this.current?.ctrl?.resume();
  }

  started(a: Attempt): void {
    if (this.current !== a && a.ctrl !== null) a.ctrl.abort(this.#reason ?? new Error('request abandoned'));
  }

  ended(a: Attempt, trailers: Record<string, unknown>): void {
    if (this.current !== a) return;
    this.current = null;
    this.#settle();
    a.lease.release();
    try {
      this.user.onResponseEnd?.(this, trailers);
    } catch (error) {
      // As undici does: a handler that throws at the end gets the error (retry interceptors rely on it).
      this.user.onResponseError?.(this, error as Error);
    }
  }

  upgraded(a: Attempt, statusCode: number, headers: Record<string, unknown>, socket: unknown): void {
    if (this.current !== a) return;
    this.current = null;
    this.#settle();
    a.lease.destroy('connection upgraded: its socket left the pool');
    this.user.onRequestUpgrade?.(this, statusCode, headers, socket);
  }

  /**
   * The attempt failed. An idempotent request that met a socket the server had closed
   * (before any response byte) is sent again on another connection: always once, and
   * again each time the connection that failed had served requests before, as Go's
   * net/http does (a server that drops idle sockets drops several at once, and the pool
   * may not have seen them close yet). Each failure destroys its connection, and a
   * request that fails on a new connection after a retry is not sent again, so this ends.
   */
  failed(a: Attempt, error: Error): void {
    if (this.current !== a) return;
    this.current = null;
    const code = (error as { code?: unknown }).code;
    const reused = a.lease.resource.requests > 1;
    if (code === 'UND_ERR_INVALID_ARG')
      a.lease.release(); // refused before anything was sent
    else a.lease.destroy(error);
    if (
      (reused || !this.#retried) &&
      !this.#aborted &&
      !this.headersIn &&
      staleSocket(code) &&
      safeToResend(this.opts)
    ) {
      this.#retried = true;
      this.#host.retried(this);
      this.#acquire();
      return;
    }
    this.#fail(error);
  }

  /** @internal The connection the flight waited for (acquire number `n`). */
  got(lease: Lease<Connection>, n: number): void {
    if (this.#acquiring === n) this.queuedIn = this.waiter = null;
    this.#leased(lease, n);
  }

  /** @internal The wait for a connection failed (acquire number `n`). */
  lost(error: unknown, n: number): void {
    if (this.#acquiring !== n) return;
    this.#acquiring = 0;
    this.queuedIn = this.waiter = null;
    if (this.callers !== null && error instanceof PoolError) useFrames(error, this.callers);
    this.#fail(error);
  }

  #acquire(): void {
    const n = (this.#acquiring = ++this.#acquires);
    let lease: Lease<Connection> | null;
    try {
      lease = this.#host.checkout(this.origin, this, n);
    } catch (error) {
      // As a rejected acquire would: the caller hears of it after dispatch() returned.
      queueMicrotask(() => this.lost(error, n));
      return;
    }
    if (lease !== null) this.#leased(lease, n);
  }

  /** Takes the flight out of its pool's queue now, failing its wait with `reason` (counted as aborted). */
  #leaveQueue(reason: Error): void {
    const pool = this.queuedIn;
    if (pool === null) return;
    this.queuedIn = null;
    if (this.waiter !== null) poolInternals(pool).withdraw(this.waiter, reason);
    this.waiter = null;
  }

  #leased(lease: Lease<Connection>, n: number): void {
    if (this.#acquiring !== n || this.#done) return lease.release();
    this.#acquiring = 0;
    const conn = lease.resource;
    if (conn.dead !== null) {
      // Closed by the server while idle, its eviction not seen yet: never send on it.
      lease.destroy(conn.dead);
      return this.#acquire();
    }
    conn.requests++;
    const a = (this.current = new Attempt(this, lease));
    conn.client.dispatch(this.opts, a); // errors come back through a.onResponseError
  }

  #settle(): void {
    this.#done = true;
    if (this.#unwatch !== null) this.#unwatch();
    if (this.#paused) this.#host.paused(this, false);
    this.#host.finished(this);
  }

  #fail(error: unknown): void {
    if (this.#done) return;
    this.#settle();
    this.user.onResponseError?.(this, error as Error);
  }
}

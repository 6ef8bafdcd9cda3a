import type { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../../core/util/clock.js';
import { PoolError, PoolOptionsError } from '../../core/errors.js';
import { CallerFrames, framesAbove, useFrames } from '../../core/util/caller-frames.js';
import type { Health } from '../../stats/health.js';
import { declarePoolKind } from '../../config/kind.js';
import { envSourcesOf } from '../../config/sources.js';
import { noteNewPool, ownedPools } from '../../stats/churn.js';
import { DispatcherBase, bindDispatcher } from './base.js';
import { Flight, type FlightHost } from './flight.js';
import { FlightList } from './flight-list.js';
import { LegacyHandler, isNewHandler } from './handler.js';
import { LeakWatch, type HttpLeakReport } from './leaks.js';
import { loadUndici, missingPart } from './load.js';
import { effectiveConfig } from './config.js';
import { resolveHttpOptions, type HttpPoolOptions, type ResolvedHttpOptions } from './options.js';
import { OriginCache, undiciErrors, type UndiciErrorName } from './errors.js';
import { OriginPools } from './origins.js';
import { CounterBook, type HttpPoolStats } from './stats.js';
import type { DispatchOptionsLike, HandlerLike, LegacyHandlerLike, UndiciLike } from './types.js';

/** undici's dispatcher events `HttpPool` emits: `connect`, `disconnect`, `connectionError` (re-emitted from its clients, as undici's Agent does) and `drain`. */
export type UndiciEvent = 'connect' | 'disconnect' | 'connectionError' | 'drain';

/**
 * An undici `Dispatcher` with pool discipline: per-origin pools of undici `Client`s (one
 * socket each) on lido's core, with warm connections (`min`), a bounded queue with a wait
 * timeout, max lifetime with jitter, idle connections the server closed dropped at once,
 * a retry for idempotent requests whose socket had just been closed, reports of response
 * bodies never read, and stats per origin. Use it wherever undici takes a dispatcher:
 *
 * ```ts
 * import { request, fetch, setGlobalDispatcher } from 'undici';
 * import { HttpPool } from 'lido/http';
 *
 * const http = new HttpPool({ max: 20, origins: { 'https://api.example.com': { min: 2, max: 50 } } });
 * const { body } = await request('https://api.example.com/items', { dispatcher: http });
 * const res = await fetch('https://api.example.com/items', { dispatcher: http });
 * setGlobalDispatcher(http);
 * await http.close();
 * ```
 */
export class HttpPool extends DispatcherBase {
  readonly #o: ResolvedHttpOptions;
  readonly #clock: Clock;
  readonly #pools: OriginPools;
  readonly #book = new CounterBook();
  readonly #flights = new FlightList<Flight>();
  readonly #leaks: LeakWatch;
  readonly #error: (name: UndiciErrorName, message: string) => Error;
  readonly #origins: OriginCache;
  readonly #isOpen = (origin: string): boolean => this.#pools.has(origin);
  /** The caller's async frames for the errors the pool raises itself (queue timeout, closed, queue full). */
  readonly #frames = new CallerFrames(() => this.#clock.now());
  readonly #ee = this as unknown as EventEmitter;
  readonly #fromEnv: Record<string, string> | undefined;
  #closed = false;
  #destroyed = false;
  #closing: Promise<void> | null = null;
  #drained: (() => void) | null = null;

  /** Makes the pool; options are validated at once (`PoolOptionsError` names the bad one). A listed origin starts opening its `min` connections. */
  constructor(options: HttpPoolOptions = {}) {
    const o = resolveHttpOptions(options);
    const undici: UndiciLike = o.undici ?? loadUndici();
    const missing = missingPart(undici);
    if (missing !== null) throw new PoolOptionsError(`undici: expected the undici module, got one without ${missing}`);
    bindDispatcher(undici.Dispatcher);
    super();
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#error = undiciErrors(undici.errors, o.name);
    this.#origins = new OriginCache(this.#error);
    this.#leaks = new LeakWatch(this.#clock, o.leakDetectionMs, o.name, (r) => this.#onLeak(r));
    // The origins' own pools are this pool's business: counted once, below, as this pool.
    this.#pools = ownedPools(
      () =>
        new OriginPools(o, undici, {
          emit: (event, origin, client, error) => {
            if (this.#ee.listenerCount(event) > 0) this.#ee.emit(event, new URL(origin), [this, client], error);
          },
          error: (error, origin) => {
            if (this.#ee.listenerCount('error') > 0) this.#ee.emit('error', error, origin);
          },
        }),
    );
    this.#fromEnv = envSourcesOf(options);
    const now = this.#clock.now();
    if (o.origins.size === 0) noteNewPool(`HttpPool "${o.name}"`, now);
    for (const origin of o.origins.keys()) noteNewPool(`HttpPool ${origin}`, now);
  }

  /** The pool's name (option `name`). */
  get name(): string {
    return this.#o.name;
  }

  /** True once `close()` or `destroy()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True once `destroy()` was called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Dispatches a request (undici's low-level API; `request`, `stream`, `pipeline`, `fetch`
   * call it). Takes handlers of the new API (`onRequestStart`, `onResponseStart`, …) and
   * of the legacy one (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`).
   */
  override dispatch(
    opts: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler | LegacyHandlerLike,
  ): boolean {
    if (handler === null || typeof handler !== 'object')
      throw this.#error('InvalidArgumentError', 'handler must be an object');
    const user: HandlerLike = isNewHandler(handler) ? handler : new LegacyHandler(handler as LegacyHandlerLike);
    let origin: string;
    try {
      if (opts === null || typeof opts !== 'object')
        throw this.#error('InvalidArgumentError', 'opts must be an object');
      if (this.#closed)
        throw this.#destroyed
          ? this.#error('ClientDestroyedError', 'The client is destroyed')
          : this.#error('ClientClosedError', 'The client is closed');
      origin = this.#origins.of(opts.origin);
    } catch (error) {
      user.onResponseError?.(null, error as Error);
      return false;
    }
    const counters = this.#book.of(origin, this.#isOpen);
    counters.requests++;
    this.#book.total.requests++;
    const flight = new Flight(
      this.#host,
      origin,
      opts as DispatchOptionsLike,
      user,
      this.#leaks.capture(HttpPool.prototype.dispatch),
      this.#leaks.stamp(),
    );
    this.#flights.add(flight);
    flight.start();
    return true;
  }

  /** Resolves once every origin listed in `origins` has its `min` connections open; rejects if connecting fails. */
  ready(): Promise<void> {
    return this.#pools.ready();
  }

  /** Stats per origin (connections as the core counts resources, plus requests, retries, leaks) and in total. */
  stats(): HttpPoolStats {
    return this.#pools.stats(this.#book, this.#flights.size);
  }

  /**
   * The effective options: pool-wide settings, the options every unlisted origin gets,
   * each listed origin's, and `fromEnv` (options read by `poolOptionsFromEnv`, by
   * variable). Socket/TLS options (`connect`) are shown by name only.
   */
  config(): Record<string, unknown> {
    return effectiveConfig(this.#o, this.#fromEnv);
  }

  /** `ok`, `degraded` (an origin waits, times out, fails to connect) or `down` (closed). */
  health(): Health {
    return this.#pools.health(this.#closed);
  }

  /** Closes gracefully: new requests fail, queued and running ones finish, then every connection closes. */
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const p = this.#close();
    if (callback === undefined) return p;
    p.then(
      () => callback(),
      () => callback(),
    );
  }

  /** Fails every queued and running request with `error` (default undici's `ClientDestroyedError`) and closes every connection now. */
  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    const error =
      typeof a === 'function' || a == null ? this.#error('ClientDestroyedError', 'The client is destroyed') : a;
    this.#closed = true;
    this.#destroyed = true;
    for (const f of this.#flights.toArray()) {
      // Each waiting caller gets its own error, naming it (a given error is passed on as it is).
      const own = error !== a && f.callers !== null ? this.#error('ClientDestroyedError', error.message) : error;
      if (own !== error) useFrames(own, f.callers!);
      f.abort(own);
    }
    const p = this.#close();
    if (callback === undefined) return p;
    p.then(
      () => callback(),
      () => callback(),
    );
  }

  /**
   * Listens to `leak` (a response body left unread, {@link HttpLeakReport}; without a
   * listener it is a process warning), `error` (an origin's pool failed to connect or
   * destroy: `(error, origin)`), and undici's `connect`, `disconnect`, `connectionError`
   * (`(origin: URL, [pool, client], error?)`, as undici's Agent emits them).
   */
  override on(event: 'leak', listener: (report: HttpLeakReport) => void): this;
  override on(event: 'error', listener: (error: PoolError, origin: string) => void): this;
  override on(event: UndiciEvent, listener: (...args: any[]) => void): this;
  override on(event: string, listener: (...args: any[]) => void): this {
    return super.on(event as 'drain', listener);
  }

  /** Like {@link HttpPool.on}, once. */
  override once(event: 'leak', listener: (report: HttpLeakReport) => void): this;
  override once(event: 'error', listener: (error: PoolError, origin: string) => void): this;
  override once(event: UndiciEvent, listener: (...args: any[]) => void): this;
  override once(event: string, listener: (...args: any[]) => void): this {
    return super.once(event as 'drain', listener);
  }

  /** Removes a listener added with {@link HttpPool.on} or {@link HttpPool.once}. */
  override off(event: 'leak', listener: (report: HttpLeakReport) => void): this;
  override off(event: 'error', listener: (error: PoolError, origin: string) => void): this;
  override off(event: UndiciEvent, listener: (...args: any[]) => void): this;
  override off(event: string, listener: (...args: any[]) => void): this {
    return super.off(event as 'drain', listener);
  }

  /** `await using http = new HttpPool(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  readonly #host: FlightHost = {
    checkout: (origin, flight, n) => {
      let lease: ReturnType<OriginPools['checkout']>;
      try {
        lease = this.#pools.checkout(origin, flight, n);
      } catch (e) {
        if (e instanceof PoolError && this.#frames.take()) useFrames(e, framesAbove(HttpPool.prototype.dispatch));
        throw e;
      }
      // It waits: its caller's frames now, while dispatch() is on the stack, for an error lido raises later.
      if (lease === null && flight.callers === null && this.#frames.take())
        flight.callers = framesAbove(HttpPool.prototype.dispatch);
      return lease;
    },
    finished: (flight) => {
      this.#flights.remove(flight);
      if (this.#flights.size === 0) this.#drained?.();
    },
    retried: (flight) => {
      this.#book.of(flight.origin, this.#isOpen).retries++;
      this.#book.total.retries++;
    },
    paused: (flight, paused) => this.#leaks.paused(flight, paused),
  };

  #close(): Promise<void> {
    this.#closed = true;
    if (this.#closing !== null) return this.#closing;
    const idle =
      this.#flights.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.#drained = resolve));
    this.#closing = idle.then(() => this.#pools.close(this.#destroyed ? 0 : 30_000)).then(() => undefined);
    return this.#closing;
  }

  #onLeak(r: HttpLeakReport): void {
    this.#book.of(r.origin, this.#isOpen).leaks++;
    this.#book.total.leaks++;
    if (this.#ee.listenerCount('leak') > 0) this.#ee.emit('leak', r);
    else
      process.emitWarning(
        `lido: ${r.method} ${r.origin}${r.path} response body left unread for ${Math.round(r.pausedMs)} ms (held ${Math.round(r.heldMs)} ms); requested at:\n${r.stack}`,
        { code: 'LIDO_HTTP_LEAK' },
      );
  }
}

export type { HttpLeakReport };

declarePoolKind(HttpPool, 'http');

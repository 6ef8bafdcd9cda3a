import { Backoff } from './util/backoff.js';
import type { Clock } from './util/clock.js';
import { CreateError, type PoolErrorOptions } from './errors.js';
import type { Factory } from './factory.js';
import { abortable } from './util/abortable.js';
import type { Permits } from './budget-link.js';

/** What the {@link Creator} reports to its pool. */
export interface CreatorHost<T> {
  /** A create succeeded after starting at `startedAt`. */
  created(resource: T, startedAt: number): void;
  /** A create failed (or was aborted by close); `error` wraps what happened. */
  failed(error: CreateError): void;
  /** A resource arrived after its create was abandoned (timeout, close): destroy it. */
  stray(resource: T): void;
  /** The backoff window ended: creates may start again. */
  retry(): void;
  /** A permit just came for a create that waited for it: is a create still needed? */
  wanted(): boolean;
  /** A create that waited for a permit ended without creating (no longer needed). */
  dropped(): void;
  /** Whether a timer started now should keep the process alive (someone is waiting). */
  keepAlive(): boolean;
  /** Pool name and counts for error messages. */
  errorOptions(): PoolErrorOptions;
}

/** What a {@link Creator} is made of. */
export interface CreatorOptions<T> {
  factory: Factory<T>;
  clock: Clock;
  /** The pool's name, for the timeout error. */
  name: string;
  /** `createTimeoutMs`: bounds each `factory.create()`. */
  timeoutMs: number;
  /** `createRetry`: the backoff after failed creates. */
  retry: { baseMs: number; capMs: number };
  /** Random source for the backoff's jitter. */
  random: () => number;
  host: CreatorHost<T>;
  /** The budget's permits, taken before each `factory.create()` (`noPermits` without a budget). */
  permits: Permits;
}

/**
 * Makes new resources: one `factory.create()` per `start()`, each bounded by
 * `createTimeoutMs` and aborted on close; failures back off exponentially with jitter
 * (once per wave of concurrent failures) and schedule a retry. The pool decides when
 * to start one; this class only knows how.
 */
export class Creator<T> {
  /** Creates in flight, with their start times (oldest first). */
  readonly #inFlight = new Map<AbortController, number>();
  readonly #backoff: Backoff;
  readonly #factory: Factory<T>;
  readonly #clock: Clock;
  readonly #name: string;
  readonly #timeoutMs: number;
  readonly #host: CreatorHost<T>;
  readonly #permits: Permits;
  /** Creates in flight still waiting for a budget permit. */
  #waitingPermit = 0;
  #retryTimer: unknown = null;
  /** The last create error, until a create succeeds. */
  lastError: CreateError | null = null;

  constructor(options: CreatorOptions<T>) {
    this.#factory = options.factory;
    this.#clock = options.clock;
    this.#name = options.name;
    this.#timeoutMs = options.timeoutMs;
    this.#host = options.host;
    this.#permits = options.permits;
    this.#backoff = new Backoff(options.retry.baseMs, options.retry.capMs, options.random);
  }

  /** Creates in flight. */
  get creating(): number {
    return this.#inFlight.size;
  }

  /** Creates in flight that hold their permit (not waiting for one): `factory.create()` runs. */
  get withPermit(): number {
    return this.#inFlight.size - this.#waitingPermit;
  }

  /** Consecutive failed waves of creates (0 after a success). */
  get failures(): number {
    return this.#backoff.failures;
  }

  /** No create may start before this time (end of the backoff window). */
  get until(): number {
    return this.#backoff.until;
  }

  /** How long the oldest create in flight has been pending, or 0. */
  oldestPendingMs(now: number): number {
    for (const started of this.#inFlight.values()) return now - started;
    return 0;
  }

  /**
   * Starts one create: takes a budget permit first (at once when one is free, else
   * waiting for it, counted in `creating`); `createTimeoutMs` bounds `factory.create()`
   * from when the permit is in hand. Close aborts both.
   */
  start(): void {
    const ac = new AbortController();
    this.#inFlight.set(ac, this.#clock.now());
    if (this.#permits.tryTake()) this.#create(ac);
    else this.#awaitPermit(ac);
  }

  /** Waits for a permit, then creates, unless the pool no longer needs the create. */
  #awaitPermit(ac: AbortController): void {
    this.#waitingPermit++;
    this.#permits.take(ac.signal).then(
      () => {
        // Asked while this create still counts as waiting: the others holding permits are what covers the waiters.
        const wanted = !ac.signal.aborted && this.#host.wanted();
        this.#waitingPermit--;
        if (!wanted) {
          this.#permits.give();
          this.#inFlight.delete(ac);
          if (ac.signal.aborted) this.#failed(ac.signal.reason);
          else this.#host.dropped();
          return;
        }
        // createTime and a slow create's age count from here, not from the wait for a permit.
        this.#inFlight.set(ac, this.#clock.now());
        this.#create(ac);
      },
      (e) => {
        this.#waitingPermit--;
        this.#inFlight.delete(ac);
        this.#failed(e);
      },
    );
  }

  /** Runs `factory.create()` (its permit in hand), bounded by `createTimeoutMs`. */
  #create(ac: AbortController): void {
    const started = this.#inFlight.get(ac)!;
    const ms = this.#timeoutMs;
    const timer =
      ms === Infinity
        ? null
        : this.#clock.setTimer(
            () =>
              ac.abort(
                new CreateError(`create timed out after ${ms} ms (factory.create() did not settle)`, {
                  pool: this.#name,
                }),
              ),
            ms,
            this.#host.keepAlive(),
          );
    const done = (): void => {
      if (timer !== null) this.#clock.clearTimer(timer);
      this.#inFlight.delete(ac);
    };
    const permits = this.#permits;
    // Two-argument then: a failure inside `created` must never be mistaken for a failed create.
    abortable(
      () => {
        let r: T | PromiseLike<T>;
        try {
          r = this.#factory.create(ac.signal);
        } catch (e) {
          permits.give();
          throw e;
        }
        // The permit goes back when the create brings no resource, even after a timeout;
        // a resource keeps it until its destroy settles (a late one is destroyed as a stray).
        permits.watchCreate(r);
        return r;
      },
      ac.signal,
      (resource) => {
        if (resource !== undefined && resource !== null) this.#host.stray(resource);
      },
    ).then(
      (resource) => {
        done();
        if (resource === undefined || resource === null) {
          this.#failed(new TypeError(`factory.create() resolved to ${resource}; expected a resource`));
        } else {
          this.#host.created(resource, started);
        }
      },
      (e) => {
        done();
        this.#failed(e);
      },
    );
  }

  /** A create succeeded: the next failure backs off from the base again. */
  succeeded(): void {
    this.#backoff.succeed();
    this.lastError = null;
  }

  /**
   * Records a failure at `now`: remembers it, extends the backoff window (once per wave)
   * and schedules a retry at its end.
   */
  fail(error: CreateError, now: number): void {
    this.lastError = error;
    const b = this.#backoff;
    this.#retryIn(now < b.until ? b.until - now : b.fail(now));
  }

  /**
   * Calls `host.retry()` once the backoff window has ended. Node runs timers by the
   * event loop's cached time, so one may fire a little before `clock.now()` reaches the
   * end of the window; retrying then would find creates still barred and nothing left to
   * wake the pool (a stall), so the rest is waited out.
   */
  #retryIn(delay: number): void {
    if (this.#retryTimer !== null) this.#clock.clearTimer(this.#retryTimer);
    this.#retryTimer = this.#clock.setTimer(
      () => {
        this.#retryTimer = null;
        const left = this.#backoff.until - this.#clock.now();
        if (left > 0) this.#retryIn(left);
        else this.#host.retry();
      },
      Math.ceil(delay),
      this.#host.keepAlive(),
    );
  }

  /**
   * The last failure was handed to a caller who asked for that create: the next create may
   * start at once (the pending retry goes; the failures stay counted for health).
   */
  forgive(): void {
    if (this.#retryTimer !== null) this.#clock.clearTimer(this.#retryTimer);
    this.#retryTimer = null;
    this.#backoff.forgive();
  }

  /** Close: aborts every create in flight and the pending retry. */
  abortAll(reason: unknown): void {
    if (this.#retryTimer !== null) this.#clock.clearTimer(this.#retryTimer);
    this.#retryTimer = null;
    for (const ac of this.#inFlight.keys()) ac.abort(reason);
  }

  #failed(e: unknown): void {
    const cause = e instanceof CreateError && e.cause !== undefined ? e.cause : e;
    const opts = this.#host.errorOptions();
    const error =
      e instanceof CreateError && e.cause === undefined
        ? new CreateError(e.message, { ...opts, cause: e })
        : new CreateError(`create failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
            ...opts,
            cause,
          });
    this.#host.failed(error);
  }
}

import { SlotState, type Slot } from './containers/slot.js';
import { ErrorCode, PoolError, ValidationError } from './errors.js';
import type { Reporter } from './reporting.js';
import type { Retirement } from './retirement.js';
import type { PoolState } from './state.js';
import { bounded } from './util/bounded.js';

/** What {@link Checks} calls back: the pool's supply. */
export interface ChecksHost<T> {
  /** Gives a checked resource on: to the oldest waiter, else idle. */
  handOff(slot: Slot<T>, now: number): void;
  /** Finds a replacement after a check destroyed a resource. */
  dispatch(): void;
  /** Puts a resource back idle after a keepalive ping, its idle clock still running. */
  idleAgain(slot: Slot<T>, now: number): void;
}

/** What {@link Checks} is made of. */
export interface ChecksOptions<T> {
  state: PoolState<T>;
  retirement: Retirement<T>;
  report: Reporter<T>;
  /** The supply, which made these checks: gives a checked resource on, or finds a replacement. */
  supply: ChecksHost<T>;
  /** A check ended: `close()` may be waiting for it. */
  ended: () => void;
}

/**
 * @internal The factory's checks of one resource: `validate` before lending a resource
 * idle too long (and on keepalive), `reset` when a lease comes back. While one runs the
 * resource is out of the idle list and counted in `checking`; a resource that fails a
 * check is destroyed, never lent.
 */
export class Checks<T> {
  readonly #state: PoolState<T>;
  readonly #retirement: Retirement<T>;
  readonly #report: Reporter<T>;
  readonly #supply: ChecksHost<T>;
  readonly #ended: () => void;

  constructor(options: ChecksOptions<T>) {
    this.#state = options.state;
    this.#retirement = options.retirement;
    this.#report = options.report;
    this.#supply = options.supply;
    this.#ended = options.ended;
  }

  /**
   * Validates `s`, out of the idle list: before lending it, or (`keepalive`) as a ping of
   * an idle resource, which goes back idle afterwards unless someone waits for it.
   */
  validate(s: Slot<T>, keepalive: boolean): void {
    const state = this.#state;
    s.state = SlotState.Checking;
    state.checking++;
    const ms = state.options.validateTimeoutMs;
    // A keepalive ping of an idle pool must not keep the process alive.
    const keepAlive = !keepalive || !state.options.allowExitOnIdle;
    const timeout = (): Error => new ValidationError(`validate timed out after ${ms} ms`, this.#report.errorOptions());
    // After a thaw, the budget re-checks what it holds before anything idle is lent again.
    const thawing = state.permits.thawing;
    const check = (signal: AbortSignal) =>
      thawing === null
        ? state.factory.validate!(s.resource, signal)
        : thawing.then(() => state.factory.validate!(s.resource, signal));
    bounded(check, state.clock, ms, keepAlive, timeout)
      .then(
        (ok) => ok === true,
        (e) => {
          const error =
            e instanceof ValidationError
              ? e
              : new ValidationError(`validate failed: ${e instanceof Error ? e.message : String(e)}`, {
                  ...this.#report.errorOptions(),
                  cause: e,
                });
          this.#report.failure(error, 'validate', s.resource);
          return false;
        },
      )
      .then((ok) => {
        state.checking--;
        const now = state.clock.now();
        if (!ok || s.broken !== undefined) {
          state.counters.validationFailures++;
          if (s.broken !== undefined) this.#retirement.destroy(s, 'error', s.broken);
          else this.#retirement.destroy(s, 'validation', 'validation failed');
          this.#supply.dispatch();
        } else if (now >= s.expiresAt) {
          // Its lifetime ran out while it was being checked: retired, never lent.
          this.#retirement.destroy(s, 'lifetime', 'max lifetime reached');
          this.#supply.dispatch();
        } else if (keepalive && state.waiters.length === 0 && !state.closed && state.live <= state.limit) {
          // A keepalive ping is not a use: the idle clock keeps running. (Above the limit
          // after a shrink, the hand-off below destroys it instead.)
          s.lastGood = now;
          this.#supply.idleAgain(s, now);
        } else {
          s.lastGood = now;
          this.#supply.handOff(s, now);
        }
        this.#ended();
      });
  }

  /**
   * Runs `factory.reset` on release. A reset that returns synchronously hands the
   * resource on in the same tick (no promise, no timer); only an async one is bounded
   * by `resetTimeoutMs`.
   */
  reset(s: Slot<T>, now: number): void {
    const state = this.#state;
    let r: unknown;
    try {
      r = state.factory.reset!(s.resource);
    } catch (e) {
      this.#resetFailed(s, e);
      this.#supply.dispatch();
      return;
    }
    if (r === null || r === undefined || typeof (r as PromiseLike<void>).then !== 'function') {
      if (s.broken !== undefined) {
        this.#retirement.destroy(s, 'error', s.broken);
        this.#supply.dispatch();
        return;
      }
      s.lastGood = now;
      this.#supply.handOff(s, now);
      return;
    }
    state.checking++;
    const ms = state.options.resetTimeoutMs;
    const timeout = (): Error =>
      new PoolError(`reset timed out after ${ms} ms`, ErrorCode.reset, {
        ...this.#report.errorOptions(),
        phase: 'reset',
      });
    bounded(() => r as PromiseLike<void>, state.clock, ms, true, timeout)
      .then(
        () => true,
        (e) => {
          this.#resetFailed(s, e);
          return false;
        },
      )
      .then((ok) => {
        state.checking--;
        const later = state.clock.now();
        if (ok && s.broken === undefined && later < s.expiresAt) {
          s.lastGood = later;
          this.#supply.handOff(s, later);
        } else {
          // Reset well, but evicted or past its lifetime meanwhile.
          if (ok && s.broken !== undefined) this.#retirement.destroy(s, 'error', s.broken);
          else if (ok) this.#retirement.destroy(s, 'lifetime', 'max lifetime reached');
          this.#supply.dispatch();
        }
        this.#ended();
      });
  }

  /** Counts, reports and destroys after a reset that threw, rejected or timed out. */
  #resetFailed(s: Slot<T>, e: unknown): void {
    this.#state.counters.resetFailures++;
    const error =
      e instanceof PoolError
        ? e
        : new PoolError(`reset failed: ${e instanceof Error ? e.message : String(e)}`, ErrorCode.reset, {
            ...this.#report.errorOptions(),
            phase: 'reset',
            cause: e,
          });
    this.#report.failure(error, 'reset', s.resource);
    if (s.broken !== undefined) this.#retirement.destroy(s, 'error', s.broken);
    else this.#retirement.destroy(s, 'reset', 'reset failed');
  }
}

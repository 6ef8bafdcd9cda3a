import type { DestroyReason } from '../stats/counters.js';
import { SlotState, type Slot } from './containers/slot.js';
import { ErrorCode, PoolError } from './errors.js';
import type { Announcer } from './events.js';
import type { LeakDetector } from './leak-detector.js';
import type { Reporter } from './reporting.js';
import type { PoolState } from './state.js';
import { setTimerAtLeast } from './util/clock.js';

/** What `destroy` listeners are told when a healthy resource is retired on release, by reason. */
export const RETIRED = {
  closed: 'pool closed',
  maxUses: 'max uses reached',
  lifetime: 'max lifetime reached',
  shrink: 'pool resized',
  unpooled: 'pooling is off',
} as const satisfies Partial<Record<DestroyReason, string>>;

/** What a {@link Retirement} is made of. */
export interface RetirementOptions<T> {
  state: PoolState<T>;
  leaks: LeakDetector<T>;
  report: Reporter<T>;
  events: Announcer<T>;
  /**
   * Finds a replacement, or uses room that became free: after the adapter evicted an idle
   * resource, and when a destroy stops counting against the limit (`Supply.dispatch`).
   */
  dispatch: () => void;
  /** A destroy settled or timed out: `close()` may be waiting for it. */
  ended: () => void;
}

/**
 * @internal The end of a resource's life: destroying it wherever it is (idle, borrowed,
 * being checked) exactly once, for exactly one {@link DestroyReason}, and the adapter's
 * `watch`, which reports a resource dead at any time. A resource whose `factory.destroy()`
 * has not settled is still open on the backend: it counts in `closing`, against the limit,
 * until it settles or `destroyTimeoutMs` runs out.
 */
export class Retirement<T> {
  readonly #state: PoolState<T>;
  readonly #leaks: LeakDetector<T>;
  readonly #report: Reporter<T>;
  readonly #events: Announcer<T>;
  readonly #dispatch: () => void;
  readonly #ended: () => void;
  /** Destroys not settled yet (and not timed out): they count against the limit. */
  closing = 0;

  constructor(options: RetirementOptions<T>) {
    this.#state = options.state;
    this.#leaks = options.leaks;
    this.#report = options.report;
    this.#events = options.events;
    this.#dispatch = options.dispatch;
    this.#ended = options.ended;
  }

  /**
   * Destroys the resource of `s` for `reason`, takes it out of wherever it is, and tells
   * `destroy` listeners `detail` (a string like `'idle timeout'`, or the error that broke
   * it). A slot already dead is left alone: never twice.
   */
  destroy(s: Slot<T>, reason: DestroyReason, detail: unknown): void {
    if (s.state === SlotState.Dead) return;
    const state = this.#state;
    if (s.state === SlotState.Idle) state.idle.remove(s);
    else if (s.state === SlotState.Borrowed) {
      state.borrowed.remove(s);
      state.leasesOut--;
      this.#leaks.returned(s, state.clock.now());
    }
    if (s.heapIndex !== -1) state.deadlines.remove(s);
    s.state = SlotState.Dead;
    s.gen++;
    state.live--;
    state.counters.destroyedFor(reason);
    if (s.unwatch !== null) {
      try {
        s.unwatch();
      } catch (e) {
        this.#report.failure(e, 'destroy', s.resource);
      }
      s.unwatch = null;
    }
    // factory.destroy() first, then the event: a listener that acquires at once (and so
    // may start a create) must never find the old resource still alive next to the new one.
    this.#callDestroy(s.resource, true);
    this.#events.destroyed(s.resource, detail);
    this.#ended();
  }

  /**
   * Destroys idle resources, least recently used first, for `reason`, until `enough(n)`
   * holds (`n`: how many went so far); returns how many went.
   */
  destroyIdle(reason: DestroyReason, detail: string, enough: (destroyed: number) => boolean): number {
    let destroyed = 0;
    for (const s of this.#state.idle.toArray()) {
      if (enough(destroyed)) break;
      // A 'destroy' listener may have borrowed one of the snapshot meanwhile.
      if (s.state !== SlotState.Idle) continue;
      this.destroy(s, reason, detail);
      destroyed++;
    }
    return destroyed;
  }

  /**
   * Destroys a resource that arrived after its create was abandoned (the create timed out,
   * or the pool closed): never lent, but created and destroyed all the same. Its destroy is
   * not counted in `closing`: the pool gave its place to another create when it gave up.
   * Its budget permit goes back when the destroy settles (at most `destroyTimeoutMs`).
   */
  destroyStray(resource: T): void {
    this.#state.counters.created++;
    this.#state.counters.destroyedFor(this.#state.closed ? 'closed' : 'error');
    this.#callDestroy(resource, false);
  }

  /** Starts the adapter's watch of a new resource; it may call back at once. */
  watch(s: Slot<T>): void {
    try {
      s.unwatch = this.#state.factory.watch!(s.resource, (reason) => this.#evict(s, reason));
    } catch (e) {
      this.#report.failure(e, 'create', s.resource);
    }
  }

  /** The adapter says the resource died: idle ones go now, others when they come back. */
  #evict(s: Slot<T>, reason: unknown): void {
    if (s.state === SlotState.Dead) return;
    if (s.broken === undefined) s.broken = reason ?? new Error('evicted by the adapter');
    if (s.state === SlotState.Idle) {
      this.destroy(s, 'error', s.broken);
      this.#dispatch();
    }
  }

  /**
   * Calls `factory.destroy`; an asynchronous one is `counted` in `closing` until it settles.
   * Either way its budget permit goes back once it settled or `destroyTimeoutMs` passed.
   */
  #callDestroy(resource: T, counted: boolean): void {
    let r: unknown;
    try {
      r = this.#state.factory.destroy(resource);
    } catch (e) {
      this.#state.permits.give();
      this.#report.failure(e, 'destroy', resource);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<void>).then === 'function') {
      this.#closing(r as PromiseLike<void>, resource, counted);
    } else this.#state.permits.give();
  }

  /**
   * Waits for a destroy in flight until it settles or times out, whichever comes first;
   * `counted`: it counts in `closing` meanwhile.
   */
  #closing(destroy: PromiseLike<void>, resource: T, counted: boolean): void {
    const state = this.#state;
    const ms = state.options.destroyTimeoutMs;
    if (counted) this.closing++;
    let pending = true;
    const done = (): void => {
      if (!pending) return;
      pending = false;
      state.permits.give();
      if (!counted) return;
      this.closing--;
      // Room under the limit: a waiter may get a create now; close() may be done.
      this.#dispatch();
      this.#ended();
    };
    let timer: unknown = null;
    // At least `ms` by the pool's clock (a Node timer may fire a fraction of a ms early):
    // until then the resource still counts against the limit.
    if (ms !== Infinity)
      setTimerAtLeast(
        state.clock,
        state.clock.now(),
        ms,
        false,
        (handle) => {
          timer = handle;
        },
        () => {
          if (!pending) return;
          done();
          if (!counted) return;
          const error = new PoolError(
            `destroy did not settle within ${ms} ms; no longer counted against the limit`,
            ErrorCode.destroyTimeout,
            { ...this.#report.errorOptions(), phase: 'destroy' },
          );
          this.#report.failure(error, 'destroy', resource);
        },
      );
    Promise.resolve(destroy)
      .then(undefined, (e) => this.#report.failure(e, 'destroy', resource))
      .finally(() => {
        if (timer !== null) state.clock.clearTimer(timer);
        done();
      });
  }
}

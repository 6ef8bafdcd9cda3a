import { SlotState, type Slot } from './containers/slot.js';
import type { Announcer } from './events.js';
import type { LeakDetector } from './leak-detector.js';
import type { Reporter } from './reporting.js';
import type { PoolState } from './state.js';

const noop = (): void => {};

/** What a {@link Retirement} is made of. */
export interface RetirementOptions<T> {
  state: PoolState<T>;
  leaks: LeakDetector<T>;
  report: Reporter<T>;
  events: Announcer<T>;
  /** Finds a replacement after the adapter evicted an idle resource (`Supply.dispatch`). */
  dispatch: () => void;
  /** A destroy started or settled: `close()` may be waiting for it. */
  ended: () => void;
}

/**
 * @internal The end of a resource's life: destroying it wherever it is (idle, borrowed,
 * being checked) exactly once, for a reason, and the adapter's `watch`, which reports a
 * resource dead at any time. `factory.destroy()` may be asynchronous; the destroys not yet
 * settled are counted in `destroying`.
 */
export class Retirement<T> {
  readonly #state: PoolState<T>;
  readonly #leaks: LeakDetector<T>;
  readonly #report: Reporter<T>;
  readonly #events: Announcer<T>;
  readonly #dispatch: () => void;
  readonly #ended: () => void;
  /** Destroys that returned a promise not yet settled. */
  destroying = 0;

  constructor(options: RetirementOptions<T>) {
    this.#state = options.state;
    this.#leaks = options.leaks;
    this.#report = options.report;
    this.#events = options.events;
    this.#dispatch = options.dispatch;
    this.#ended = options.ended;
  }

  /**
   * Destroys the resource of `s` for `reason` (a string, or the error that broke it) and
   * takes it out of wherever it is. A slot already dead is left alone: never twice.
   */
  destroy(s: Slot<T>, reason: unknown): void {
    if (s.state === SlotState.Dead) return;
    const state = this.#state;
    if (s.state === SlotState.Idle) state.idle.remove(s);
    else if (s.state === SlotState.Borrowed) {
      state.borrowed.remove(s);
      state.leasesOut--;
      this.#leaks.returned(s, state.clock.now());
    }
    s.state = SlotState.Dead;
    s.gen++;
    state.live--;
    state.counters.destroyed++;
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
    this.#callDestroy(s.resource);
    this.#events.destroyed(s.resource, reason);
    this.#ended();
  }

  /**
   * Destroys idle resources, least recently used first, for `reason`, until `enough(n)`
   * holds (`n`: how many went so far); returns how many went. (Shrinking, or making room
   * elsewhere.)
   */
  destroyIdle(reason: string, enough: (destroyed: number) => boolean): number {
    let destroyed = 0;
    for (const s of this.#state.idle.toArray()) {
      if (enough(destroyed)) break;
      // A 'destroy' listener may have borrowed one of the snapshot meanwhile.
      if (s.state !== SlotState.Idle) continue;
      this.destroy(s, reason);
      destroyed++;
    }
    return destroyed;
  }

  /** Destroys a resource that arrived after its create was abandoned (timeout, close). */
  destroyStray(resource: T): void {
    this.#state.counters.created++;
    this.#state.counters.destroyed++;
    this.#callDestroy(resource);
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
      this.destroy(s, s.broken);
      this.#dispatch();
    }
  }

  #callDestroy(resource: T): void {
    let r: unknown;
    try {
      r = this.#state.factory.destroy(resource);
    } catch (e) {
      this.#report.failure(e, 'destroy', resource);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<void>).then === 'function') {
      this.destroying++;
      Promise.resolve(r)
        .then(noop, (e) => this.#report.failure(e, 'destroy', resource))
        .finally(() => {
          this.destroying--;
          this.#ended();
        });
    }
  }
}

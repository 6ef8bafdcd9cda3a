import { SlotState, type Slot } from './containers/slot.js';
import type { Announcer } from './events.js';
import type { Retirement } from './retirement.js';
import type { PoolState } from './state.js';
import { DeadlineTimer } from './util/deadline-timer.js';

/** What {@link Deadlines} is made of. */
export interface DeadlinesOptions<T> {
  state: PoolState<T>;
  retirement: Retirement<T>;
  events: Announcer<T>;
  /** Validates an idle resource taken out of the idle list (`Checks.validate`, as a keepalive ping or after a thaw). */
  validate: (slot: Slot<T>, keepalive: boolean) => void;
  /** Refills `min` after retirements (`Supply.dispatch`). */
  dispatch: () => void;
  /** The process was frozen: the budget re-checks what it holds (`Permits.thaw`). */
  thawed: () => void;
}

/**
 * @internal The deadlines of idle resources: idle timeout, lifetime (with its jitter) and
 * keepalive, each resource on its own, driven by one timer armed at the earliest; and the
 * detection of a thaw.
 *
 * The slots are in a min-heap by their next deadline. A slot joins it when it goes idle
 * and is not in it yet, and then stays there while it is lent, with the key it had: a key
 * only ever gets later (a resource's idle and keepalive clocks restart when it comes back,
 * its lifetime is fixed), so a stale key makes the timer fire early, never late. When the
 * timer pops such a slot it is re-keyed if idle and dropped if not. On the hot path a
 * release costs one field check, and the heap is touched only when a deadline comes due.
 *
 * Thaw: while idle resources exist, the timer also fires at least every `thawAfterMs / 4`.
 * A firing more than `thawAfterMs` late, or a wall clock that moved more than `thawAfterMs`
 * further than the monotonic clock since the last firing, means the process was frozen;
 * so does a lend that finds the timer that much overdue (the frozen process may handle a
 * request before its late timers run). Then every idle resource is validated before it
 * is lent again, or destroyed where the factory has no `validate`.
 */
export class Deadlines<T> {
  readonly #state: PoolState<T>;
  readonly #retirement: Retirement<T>;
  readonly #events: Announcer<T>;
  readonly #validate: (slot: Slot<T>, keepalive: boolean) => void;
  readonly #dispatch: () => void;
  readonly #thawed: () => void;
  readonly #timer: DeadlineTimer;
  /** Any of idle timeout, lifetime and keepalive is on: otherwise the pool keeps no timer. */
  readonly #on: boolean;
  readonly #beatMs: number;
  /** Idle slots whose idle timeout came while at or below `min`: keyed without it until the floor lifts. */
  readonly #exempt = new Set<Slot<T>>();
  #lastMono = 0;
  #lastWall = 0;
  /**
   * Past this clock reading the armed timer is more than `thawAfterMs` late: a lend that
   * sees it checks for a thaw. Infinity while no timer is armed or thaw detection is off.
   */
  thawCheckAt = Infinity;

  constructor(options: DeadlinesOptions<T>) {
    const state = (this.#state = options.state);
    this.#retirement = options.retirement;
    this.#events = options.events;
    this.#thawed = options.thawed;
    this.#validate = options.validate;
    this.#dispatch = options.dispatch;
    const o = state.options;
    this.#on = o.idleTimeoutMs > 0 || o.maxLifetimeMs > 0 || o.keepaliveMs > 0;
    this.#beatMs = o.thawAfterMs > 0 ? o.thawAfterMs / 4 : Infinity;
    this.#timer = new DeadlineTimer(state.clock, () => this.#fire(), !o.allowExitOnIdle);
  }

  /** A slot went idle at `now`: it gets its deadlines (the timer is re-armed only if it is the earliest). */
  idled(s: Slot<T>, now: number): void {
    if (!this.#on) return;
    if (this.#exempt.size > 0) this.#exempt.delete(s);
    if (s.heapIndex === -1) {
      s.deadline = this.#dueAt(s, true);
      if (s.deadline !== Infinity) this.#state.deadlines.push(s);
      this.#arm(now);
    } else if (this.#timer.at === Infinity) {
      this.#arm(now);
    }
  }

  /** Live resources rose above `min` (or `min` was lowered): idle ones at the floor may now time out. */
  floorLifted(): void {
    if (this.#exempt.size === 0) return;
    const heap = this.#state.deadlines;
    for (const s of this.#exempt) {
      if (s.state !== SlotState.Idle) continue;
      s.deadline = this.#dueAt(s, true);
      if (s.heapIndex === -1) heap.push(s);
      else heap.update(s);
    }
    this.#exempt.clear();
    this.#arm(this.#state.clock.now());
  }

  /** No more deadlines (close). */
  stop(): void {
    this.#timer.clear();
    this.#state.deadlines.clear();
    this.#exempt.clear();
    this.thawCheckAt = Infinity;
  }

  /**
   * A lend found the timer overdue by more than `thawAfterMs` at `now`: the process was
   * frozen and its timers have not run yet. `taken` is the idle slot the lend took out of
   * the idle list; it is validated (or destroyed) like the others.
   */
  thawedAt(now: number, taken: Slot<T>): void {
    const due = this.#timer.at;
    this.#timer.clear();
    // No refill from inside a lend: the acquire that made it goes on to enqueue and dispatch.
    this.#thaw(now - due, now, false);
    taken.state = SlotState.Checking;
    if (this.#state.hasValidate) this.#validate(taken, false);
    else this.#retirement.destroy(taken, 'validation', 'not validated after a thaw');
    this.#arm(now);
  }

  /** A slot's next deadline while idle; without its idle timeout when `idleTimeout` is false (at the floor). */
  #dueAt(s: Slot<T>, idleTimeout: boolean): number {
    const o = this.#state.options;
    let at = s.expiresAt;
    if (idleTimeout && o.idleTimeoutMs > 0) at = Math.min(at, s.idleSince + o.idleTimeoutMs);
    if (o.keepaliveMs > 0) at = Math.min(at, s.lastGood + o.keepaliveMs);
    return at;
  }

  /** Arms the timer for the earliest deadline, or sooner to watch for a thaw while idle resources exist. */
  #arm(now: number): void {
    const top = this.#state.deadlines.peek();
    let at = top === null ? Infinity : top.deadline;
    if (this.#state.idle.length > 0 && this.#beatMs !== Infinity) {
      // A thaw is measured between two firings: from here when nothing was armed.
      if (this.#timer.at === Infinity) this.#baseline(now);
      at = Math.min(at, this.#lastMono + this.#beatMs);
    }
    if (at === Infinity || this.#state.closed) return;
    this.#timer.arm(at, now);
    this.thawCheckAt = this.#beatMs === Infinity ? Infinity : this.#timer.at + this.#state.options.thawAfterMs;
  }

  #fire(): void {
    const state = this.#state;
    const now = state.clock.now();
    if (this.#beatMs !== Infinity) {
      const late = now - (this.thawCheckAt - state.options.thawAfterMs);
      const wall = state.clock.wallNow?.();
      const drift = wall === undefined ? 0 : wall - this.#lastWall - (now - this.#lastMono);
      const awayMs = Math.max(late, drift);
      if (awayMs > state.options.thawAfterMs) this.#thaw(awayMs, now, true);
      else this.#baseline(now);
    }
    this.thawCheckAt = Infinity;
    let retired = false;
    const heap = state.deadlines;
    for (let s = heap.peek(); s !== null && s.deadline <= now; s = heap.peek()) {
      heap.remove(s);
      if (s.state === SlotState.Idle) retired = this.#due(s, now) || retired;
    }
    if (retired) this.#dispatch();
    this.#arm(state.clock.now());
  }

  /** An idle slot whose key came due: retires it, pings it, or re-keys it. True if it was destroyed. */
  #due(s: Slot<T>, now: number): boolean {
    const state = this.#state;
    const o = state.options;
    if (now >= s.expiresAt) {
      this.#retirement.destroy(s, 'lifetime', 'max lifetime reached');
      return true;
    }
    const idleDue = o.idleTimeoutMs > 0 && now >= s.idleSince + o.idleTimeoutMs;
    if (idleDue && state.live > o.min) {
      this.#retirement.destroy(s, 'idle', 'idle timeout');
      return true;
    }
    if (o.keepaliveMs > 0 && now >= s.lastGood + o.keepaliveMs) {
      state.idle.remove(s);
      this.#validate(s, true);
      return false;
    }
    // Not due after all (its key was stale), or an idle timeout at the floor of `min`.
    if (idleDue) this.#exempt.add(s);
    s.deadline = this.#dueAt(s, !idleDue);
    if (s.deadline !== Infinity) state.deadlines.push(s);
    return false;
  }

  /** Where the next thaw measurement starts: this monotonic reading and the wall clock now. */
  #baseline(now: number): void {
    this.#lastMono = now;
    this.#lastWall = this.#state.clock.wallNow?.() ?? 0;
  }

  /** The process was away for `awayMs`: nothing idle is trusted until it has been checked again. */
  #thaw(awayMs: number, now: number, refill: boolean): void {
    const state = this.#state;
    this.#baseline(now);
    // Before anything idle is lent again: the validations below wait for the budget's re-check.
    this.#thawed();
    this.#events.thawed(Math.round(awayMs));
    for (const s of state.idle.toArray()) {
      if (s.state !== SlotState.Idle) continue; // borrowed meanwhile by a 'thaw' or 'destroy' listener
      if (state.hasValidate) s.lastGood = -Infinity;
      else this.#retirement.destroy(s, 'validation', 'not validated after a thaw');
    }
    if (refill) this.#dispatch();
  }
}

import type { Clock } from './clock.js';

/**
 * One timer for the earliest deadline of all waiters: armed when an earlier deadline
 * arrives, re-armed by its owner after each firing, cleared once nobody waits. It keeps
 * the process alive: someone is waiting for an answer.
 */
export class DeadlineTimer {
  #timer: unknown = null;
  #at = Infinity;

  constructor(
    readonly clock: Clock,
    readonly fire: () => void,
  ) {}

  /** Arms the timer for `at`, unless one for an earlier (or equal) time is armed. */
  arm(at: number, now: number): void {
    if (at >= this.#at) return;
    if (this.#timer !== null) this.clock.clearTimer(this.#timer);
    this.#at = at;
    this.#timer = this.clock.setTimer(
      () => {
        this.#timer = null;
        this.#at = Infinity;
        this.fire();
      },
      Math.max(0, Math.ceil(at - now)),
      true,
    );
  }

  /** Disarms the timer. */
  clear(): void {
    if (this.#timer === null) return;
    this.clock.clearTimer(this.#timer);
    this.#timer = null;
    this.#at = Infinity;
  }
}

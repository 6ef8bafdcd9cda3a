import type { Clock } from './clock.js';

/**
 * One timer for the earliest of many deadlines: armed when an earlier deadline arrives,
 * re-armed by its owner after each firing, cleared when nothing is due any more.
 */
export class DeadlineTimer {
  #timer: unknown = null;
  #at = Infinity;

  constructor(
    readonly clock: Clock,
    readonly fire: () => void,
    /** Whether the armed timer keeps the process alive (someone waits for an answer). */
    readonly keepAlive = true,
  ) {}

  /** When the armed timer is due, or Infinity. */
  get at(): number {
    return this.#at;
  }

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
      this.keepAlive,
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

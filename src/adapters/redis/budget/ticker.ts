import type { Clock } from '../../../core/util/clock.js';

/** @internal A repeating timer on a clock that never keeps the process alive; `fn` gets how late the tick fired. */
export class Ticker {
  #handle: unknown = null;
  #due = 0;

  constructor(
    readonly clock: Clock,
    readonly periodMs: number,
    readonly fn: (lateMs: number) => void,
  ) {}

  get running(): boolean {
    return this.#handle !== null;
  }

  start(): void {
    if (this.#handle !== null) return;
    this.#due = this.clock.now() + this.periodMs;
    this.#handle = this.clock.setTimer(() => this.#tick(), this.periodMs, false);
  }

  stop(): void {
    if (this.#handle !== null) this.clock.clearTimer(this.#handle);
    this.#handle = null;
  }

  #tick(): void {
    const late = this.clock.now() - this.#due;
    this.#handle = null;
    this.start();
    this.fn(late);
  }
}

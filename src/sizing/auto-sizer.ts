import type { PoolState } from '../core/state.js';
import { SizingController } from './controller.js';
import type { ResizeInfo } from './resize.js';
import type { ResolvedAutoSize } from './options.js';
import { Sampler } from './signals.js';

/** @internal What a pool's sizer needs of the pool. */
export interface SizerHost<T> {
  state: PoolState<T>;
  /** Sets the pool's effective limit (`EffectiveLimit.ask`). */
  setLimit(limit: number): void;
  /** Announces a change of the limit (event `resize`). */
  resized(info: ResizeInfo): void;
}

/**
 * @internal What moves a pool's effective limit between its bounds. {@link NoSizer}
 * when `autoSize` is off (the limit is `max`), {@link AutoSizer} when on.
 */
export interface Sizer {
  /** `resize({ min, max })` set new bounds: the limit the pool keeps to now. */
  bounds(min: number, max: number): number;
  /** The pool closed: no more timers. */
  stop(): void;
}

/** @internal `autoSize` off: the limit is `max`, nothing runs. */
export const NoSizer: Sizer = {
  bounds: (_min, max) => max,
  stop: () => {},
};

/** The lowest limit for a pool's `min`: a pool may always lend one resource. */
const lowest = (min: number): number => Math.max(1, min);

/**
 * @internal `autoSize` on: one timer on the pool's clock (never keeping the process alive)
 * reads the pool's counters every `intervalMs`, hands the window to the
 * {@link SizingController} and applies what it decides through the pool's `setLimit`.
 * Nothing runs on the hot path.
 */
export class AutoSizer<T> implements Sizer {
  readonly #host: SizerHost<T>;
  readonly #sampler: Sampler<T>;
  readonly #controller: SizingController;
  readonly #intervalMs: number;
  #timer: unknown = null;
  #stopped = false;

  constructor(host: SizerHost<T>, tuning: ResolvedAutoSize) {
    this.#host = host;
    const o = host.state.options;
    this.#controller = new SizingController(tuning, lowest(o.min), o.max);
    this.#sampler = new Sampler(host.state);
    this.#intervalMs = tuning.intervalMs;
    // Before the pool exists for anyone: the starting limit is set as is (no dispatch).
    host.state.limit = this.#controller.limit;
    this.#arm();
  }

  bounds(min: number, max: number): number {
    const change = this.#controller.setBounds(lowest(min), max);
    if (change !== null) this.#host.resized(change);
    return this.#controller.limit;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) this.#host.state.clock.clearTimer(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    this.#timer = this.#host.state.clock.setTimer(() => this.#tick(), this.#intervalMs, false);
  }

  #tick(): void {
    this.#timer = null;
    const state = this.#host.state;
    if (this.#stopped || state.closed) return;
    const sample = this.#sampler.take(state.clock.now());
    const change = sample === null ? null : this.#controller.observe(sample);
    if (change !== null) {
      this.#host.setLimit(change.to);
      this.#host.resized(change);
    }
    this.#arm();
  }
}

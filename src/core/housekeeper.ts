import type { Checks } from './checks.js';
import { SlotState } from './containers/slot.js';
import type { Retirement } from './retirement.js';
import type { PoolState } from './state.js';

/** The timer side of the housekeeper: null object when nothing needs sweeping. */
export interface Sweeper {
  start(): void;
  stop(): void;
}

/** Nothing to sweep: idle timeout, lifetime and keepalive are all off. */
export const noSweeper: Sweeper = { start() {}, stop() {} };

/** What a {@link Housekeeper} works on. */
export interface HousekeeperOptions<T> {
  state: PoolState<T>;
  retirement: Retirement<T>;
  checks: Checks<T>;
  /** Creates what `min` (or waiters) still need (`Supply.dispatch`). */
  dispatch: () => void;
}

/**
 * Every `periodMs`: retire idle resources past their lifetime, reap those idle longer
 * than `idleTimeoutMs` (never below `min`), validate those due a keepalive, refill to `min`.
 */
export class Housekeeper<T> implements Sweeper {
  #timer: unknown = null;
  readonly #parts: HousekeeperOptions<T>;
  readonly #periodMs: number;

  constructor(options: HousekeeperOptions<T>, periodMs: number) {
    this.#parts = options;
    this.#periodMs = periodMs;
  }

  /** The housekeeper a pool with these options needs: {@link noSweeper} when nothing needs sweeping. */
  static for<T>(options: HousekeeperOptions<T>): Sweeper {
    const o = options.state.options;
    const period = Housekeeper.period(o.idleTimeoutMs, o.maxLifetimeMs, o.keepaliveMs);
    return period === Infinity ? noSweeper : new Housekeeper<T>(options, period);
  }

  /** The sweep period for these settings: a quarter of the shortest, within [50 ms, 30 s]. */
  static period(idleTimeoutMs: number, maxLifetimeMs: number, keepaliveMs: number): number {
    const shortest = Math.min(...[idleTimeoutMs, maxLifetimeMs, keepaliveMs].filter((v) => v > 0));
    return shortest === Infinity ? Infinity : Math.min(30_000, Math.max(50, shortest / 4));
  }

  start(): void {
    if (this.#timer !== null) return;
    const state = this.#parts.state;
    this.#timer = state.clock.setTimer(
      () => {
        this.#timer = null;
        this.sweep();
        this.start();
      },
      this.#periodMs,
      !state.options.allowExitOnIdle,
    );
  }

  stop(): void {
    if (this.#timer !== null) this.#parts.state.clock.clearTimer(this.#timer);
    this.#timer = null;
  }

  /** One pass. */
  sweep(): void {
    const { state, retirement, checks, dispatch } = this.#parts;
    const { idleTimeoutMs, keepaliveMs } = state.options;
    const now = state.clock.now();
    let live = state.live;
    for (const slot of state.idle.toArray()) {
      // A listener of an event raised by this sweep (a 'destroy') may have borrowed it since the snapshot.
      if (slot.state !== SlotState.Idle) continue;
      if (now >= slot.expiresAt) {
        retirement.destroy(slot, 'max lifetime reached');
        live--;
      } else if (idleTimeoutMs > 0 && live > state.options.min && now - slot.idleSince >= idleTimeoutMs) {
        retirement.destroy(slot, 'idle timeout');
        live--;
      } else if (keepaliveMs > 0 && now - slot.lastGood >= keepaliveMs) {
        state.idle.remove(slot);
        checks.validate(slot, true);
      }
    }
    dispatch();
  }
}

import type { Clock } from './util/clock.js';
import { SlotState, type Slot } from './containers/slot.js';

/** What the housekeeper may do to a pool. */
export interface Housekept<T> {
  readonly min: number;
  /** Live resources (idle + borrowed + being checked). */
  live(): number;
  /** Idle slots, least recently returned first (a snapshot). */
  idleSlots(): Slot<T>[];
  /** Destroys an idle slot for `reason`. */
  retire(slot: Slot<T>, reason: string): void;
  /** Takes an idle slot out and validates it; a dead one is replaced. */
  keepalive(slot: Slot<T>): void;
  /** Creates what `min` (or waiters) still need. */
  refill(): void;
}

/** The timer side of the housekeeper: null object when nothing needs sweeping. */
export interface Sweeper {
  start(): void;
  stop(): void;
}

/** Nothing to sweep: idle timeout, lifetime and keepalive are all off. */
export const noSweeper: Sweeper = { start() {}, stop() {} };

/** What a {@link Housekeeper} is made of. */
export interface HousekeeperOptions<T> {
  pool: Housekept<T>;
  clock: Clock;
  periodMs: number;
  idleTimeoutMs: number;
  keepaliveMs: number;
  keepAlive: boolean;
}

/**
 * Every `periodMs`: retire idle resources past their lifetime, reap those idle longer
 * than `idleTimeoutMs` (never below `min`), validate those due a keepalive, refill to `min`.
 */
export class Housekeeper<T> implements Sweeper {
  #timer: unknown = null;
  readonly pool: Housekept<T>;
  readonly clock: Clock;
  readonly periodMs: number;
  readonly idleTimeoutMs: number;
  readonly keepaliveMs: number;
  /** Whether its timer keeps the process alive (`allowExitOnIdle: false`). */
  readonly keepAlive: boolean;

  constructor(options: HousekeeperOptions<T>) {
    this.pool = options.pool;
    this.clock = options.clock;
    this.periodMs = options.periodMs;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.keepaliveMs = options.keepaliveMs;
    this.keepAlive = options.keepAlive;
  }

  /** The sweep period for these settings: a quarter of the shortest, within [50 ms, 30 s]. */
  static period(idleTimeoutMs: number, maxLifetimeMs: number, keepaliveMs: number): number {
    const shortest = Math.min(...[idleTimeoutMs, maxLifetimeMs, keepaliveMs].filter((v) => v > 0));
    return shortest === Infinity ? Infinity : Math.min(30_000, Math.max(50, shortest / 4));
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = this.clock.setTimer(
      () => {
        this.#timer = null;
        this.sweep();
        this.start();
      },
      this.periodMs,
      this.keepAlive,
    );
  }

  stop(): void {
    if (this.#timer !== null) this.clock.clearTimer(this.#timer);
    this.#timer = null;
  }

  /** One pass; exposed for tests and for `pool.resize()`. */
  sweep(): void {
    const now = this.clock.now();
    const pool = this.pool;
    let live = pool.live();
    for (const slot of pool.idleSlots()) {
      // A listener of an event raised by this sweep (a 'destroy') may have borrowed it since the snapshot.
      if (slot.state !== SlotState.Idle) continue;
      if (now >= slot.expiresAt) {
        pool.retire(slot, 'max lifetime reached');
        live--;
      } else if (this.idleTimeoutMs > 0 && live > pool.min && now - slot.idleSince >= this.idleTimeoutMs) {
        pool.retire(slot, 'idle timeout');
        live--;
      } else if (this.keepaliveMs > 0 && now - slot.lastGood >= this.keepaliveMs) {
        pool.keepalive(slot);
      }
    }
    pool.refill();
  }
}

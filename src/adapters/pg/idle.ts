import type { Pool } from '../../core/pool.js';
import type { Clock } from '../../core/util/clock.js';
import type { ClientMeta } from './clients.js';
import type { ClientLike } from './types.js';

const TIMER_GRAIN_MS = 1;

/**
 * pg.Pool's idle timeout and lifetime for the idle clients of one pool, exact: each
 * client has at most one timer, set to when it is next due (its idle timeout while the
 * pool has more clients than `min`, else its end of life) and moved on when it fires
 * while the client is out. A due client is evicted through the factory's `watch`
 * (`removed` reasons `'idle timeout'`, `'max lifetime reached'`). The core's own idle
 * sweep is off for PgPool's pools (`idleTimeoutMs: 0` there); its lifetime checks on
 * release and acquire stay.
 */
export class IdleReaper<C extends ClientLike> {
  readonly #idleTimeoutMs: number;
  readonly #pool: Pool<C>;
  readonly #clock: Clock;

  constructor(options: {
    /** `idleTimeoutMillis` (0: never). */
    idleTimeoutMs: number;
    /** The pool whose `size` and `min` decide whether an idle client may go. */
    pool: Pool<C>;
    clock: Clock;
  }) {
    this.#idleTimeoutMs = options.idleTimeoutMs;
    this.#pool = options.pool;
    this.#clock = options.clock;
  }

  /** The idle timeout it applies (ms, 0 = never). */
  get idleTimeoutMs(): number {
    return this.#idleTimeoutMs;
  }

  /** The client was created or came back: idle from now, unless it is lent again first. */
  idle(meta: ClientMeta<C>): void {
    if (!meta.alive) return;
    const now = this.#clock.now();
    meta.idleSince = now;
    // The usual case costs a comparison: a timer already set no later than this idle
    // period's end stays (it moves on when it fires); `min` is looked at only then.
    const due = this.#idleTimeoutMs > 0 ? Math.min(now + this.#idleTimeoutMs, meta.expiresAt) : meta.expiresAt;
    if (meta.timer !== null) {
      if (meta.timerAt <= due) return;
      this.#clock.clearTimer(meta.timer);
    }
    this.#arm(meta, due, now);
  }

  /** The client is gone: its timer goes too. */
  removed(meta: ClientMeta<C>): void {
    if (meta.timer !== null) this.#clock.clearTimer(meta.timer);
    meta.timer = null;
  }

  #arm(meta: ClientMeta<C>, due: number, now: number): void {
    meta.timer = null;
    if (due === Infinity) return;
    meta.timerAt = due;
    meta.timer = this.#clock.setTimer(() => this.#due(meta), Math.max(0, due - now), false);
  }

  #due(meta: ClientMeta<C>): void {
    meta.timer = null;
    if (!meta.alive || meta.lease !== null) return; // out: set again when it comes back
    const now = this.#clock.now();
    if (now >= meta.expiresAt) {
      meta.evict?.('max lifetime reached');
      return;
    }
    const idleEnd = this.#idleTimeoutMs > 0 ? meta.idleSince + this.#idleTimeoutMs : Infinity;
    // Used since it was set: a new idle period. Timers fire by the event loop's millisecond,
    // so an end less than 1 ms away is due now (set again, it would fire a millisecond late).
    if (now < idleEnd - TIMER_GRAIN_MS) this.#arm(meta, Math.min(idleEnd, meta.expiresAt), now);
    else if (this.#aboveMin()) meta.evict?.('idle timeout');
    else this.#arm(meta, meta.expiresAt, now); // at or below min: only its end of life
  }

  /** pg.Pool's test: more clients than `min` (those closing not counted). */
  #aboveMin(): boolean {
    const s = this.#pool.stats();
    return s.size > s.min;
  }
}

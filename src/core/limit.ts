import type { Retirement } from './retirement.js';
import type { PoolState } from './state.js';

/**
 * The pool's effective limit (`state.limit`, `stats().limit`): the lowest of what was asked
 * (`resize()`, `autoSize`, `PoolInternals.setLimit`), `max`, and the budget's cap. When it
 * goes down, idle resources above it go now (reason `shrink`) and borrowed ones on release.
 */
export class EffectiveLimit {
  readonly #state: PoolState<unknown>;
  readonly #retirement: Retirement<unknown>;
  readonly #dispatch: () => void;
  /** What resize or an auto-sizer asked last, before the budget's cap. */
  #asked = Infinity;
  /** The most the budget lets the pool hold; Infinity without a budget. */
  #cap = Infinity;

  constructor(state: PoolState<any>, retirement: Retirement<any>, dispatch: () => void) {
    this.#state = state;
    this.#retirement = retirement;
    this.#dispatch = dispatch;
  }

  /** Asks for a limit (at most `max`, and the budget's cap still applies). */
  ask(limit: number): void {
    this.#asked = limit;
    this.#apply();
  }

  /** The budget lets the pool hold at most `cap` (live, creating with a permit, closing); down to 0. */
  cap(cap: number): void {
    this.#cap = cap;
    this.#apply();
  }

  #apply(): void {
    const state = this.#state;
    state.limit = Math.min(this.#asked, state.options.max, this.#cap);
    this.#retirement.destroyIdle('shrink', 'pool resized', () => state.live <= state.limit);
    this.#dispatch();
  }
}

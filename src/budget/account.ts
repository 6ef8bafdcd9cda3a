import type { Arbiter } from './arbiter.js';
import type { BudgetAccount, BudgetMember, BudgetStats } from './budget.js';

/**
 * @internal Where an {@link Arbiter}'s permits come from: a fixed cap (a local budget)
 * or a fleet lease (a Redis budget).
 */
export interface PermitSource {
  /** `n` waiting takes are not covered by permits in hand: the source should be getting that many. */
  want(n: number): void;
  /** A member gave a permit back: true keeps it in hand for the next take, false when the source took it. */
  returned(): boolean;
  /** `n` permits in hand that no take can use now: true keeps them, false when the source took them back. */
  spare(n: number): boolean;
  /** Permits held across the whole budget, as last seen. */
  fleetHeld(): number;
  /** Why the budget degrades its pools now, or null. */
  health(): string | null;
  /** The process was frozen: resolves once what it holds is re-checked. */
  thaw(): Promise<void>;
}

/** @internal A pool's account in an {@link Arbiter}. */
export class Account implements BudgetAccount {
  held = 0;
  cap = Infinity;
  /** Takes of this pool waiting. */
  queued = 0;
  /** Permits this pool gives back at its next destroys for a pool that holds none (local fairness). */
  owed = 0;
  /** Permits this pool gives back because the budget holds more than its limit (lost lease, fleet share). */
  shed = 0;
  left = false;
  /** Scratch for queue scans: the scan that last counted this account, its count, and its demand then. */
  scan = 0;
  seen = 0;
  demand = 0;

  constructor(
    readonly arbiter: Arbiter,
    readonly member: BudgetMember,
  ) {}

  tryTake(): boolean {
    return this.arbiter.tryTake(this);
  }

  take(signal: AbortSignal): Promise<void> {
    return this.arbiter.take(this, signal);
  }

  give(): void {
    this.arbiter.give(this);
  }

  stats(): BudgetStats {
    const a = this.arbiter;
    return { name: a.name, max: a.max, held: this.held, fleetHeld: a.source.fleetHeld(), waiting: this.queued };
  }

  health(): string | null {
    return this.arbiter.source.health();
  }

  thaw(): Promise<void> {
    return this.arbiter.source.thaw();
  }

  leave(): void {
    this.arbiter.leave(this);
  }
}

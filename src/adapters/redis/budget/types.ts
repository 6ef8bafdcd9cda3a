import type { Clock } from '../../../core/util/clock.js';

/** What a fleet lease tells its budget. */
export interface FleetHooks {
  /** Redis stopped answering: the `onUnavailable` policy now applies; `share`: what this process may hold. */
  unavailable(cause: unknown, share: number): void;
  /** Redis answers again (after `awayMs`); the lease is re-asserted. */
  available(awayMs: number): void;
  /** The lease was gone (`renewed`), or Redis counted fewer permits than held: `excess` permits are shed. */
  lost(excess: number, renewed: boolean): void;
}

/** Settings of a fleet lease. */
export interface FleetSettings {
  name: string;
  max: number;
  leaseMs: number;
  onUnavailable: 'share' | 'block';
  clock: Clock;
  /** Bound on each Redis call. */
  timeoutMs: number;
}

/** A reply of the budget script: integers (and nothing else). */
export type Reply = (number | string)[];

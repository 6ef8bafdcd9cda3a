import type { Clock } from '../../core/util/clock.js';

/** SQLSTATE `53300` too_many_connections: the server (`max_connections`) or a role's or database's `CONNECTION LIMIT` is full. */
export const TOO_MANY_CONNECTIONS = '53300';

/** True when `e` is the server refusing a connection for lack of room (`53300`). */
export function isServerRefusal(e: unknown): boolean {
  return e !== null && typeof e === 'object' && (e as { code?: unknown }).code === TOO_MANY_CONNECTIONS;
}

/** A refused connection attempt whose checkout waits to see if another attempt connects. */
export interface DeferredRefusal {
  readonly ticket: number;
  readonly cause: unknown;
}

/**
 * @internal A pool's server refusals: capacity, not failure. While the pool has
 * connections its waiters keep waiting for them (the create backs off as any failed
 * create does); the count goes to `stats().serverRefusals`, the last one to `health()`.
 *
 * A refusal that comes while the pool has no connection yet but other attempts are still
 * in flight is deferred: the server may have admitted those (a refusal is often answered
 * before an admitted connection finishes its start-up). The first connection clears the
 * deferred ones (their checkouts wait for it); the last attempt failing fails them.
 */
export class ServerRefusals {
  count = 0;
  #lastAt = -Infinity;
  #message = '';
  #deferred: DeferredRefusal[] = [];

  constructor(readonly clock: Clock) {}

  refused(e: unknown): void {
    this.count++;
    this.#lastAt = this.clock.now();
    this.#message = e instanceof Error ? e.message : String(e);
  }

  /** Holds a refusal until the attempts in flight settle. */
  defer(refusal: DeferredRefusal): void {
    this.#deferred.push(refusal);
  }

  /** A connection was made: the deferred refusals' checkouts wait for the pool's connections. */
  connected(): void {
    if (this.#deferred.length > 0) this.#deferred = [];
  }

  /** The deferred refusals, oldest first, handed over once (no attempt connected). */
  takeDeferred(): DeferredRefusal[] {
    const deferred = this.#deferred;
    this.#deferred = [];
    return deferred;
  }

  /** Why health is degraded, while the last refusal is less than `windowMs` old; else null. */
  reason(windowMs: number): string | null {
    const ago = this.clock.now() - this.#lastAt;
    if (ago >= windowMs) return null;
    return `the server refused connections (53300 too_many_connections: ${this.#message}), ${this.count} so far, the last ${Math.round(ago)} ms ago: at its connection limit (max_connections or a CONNECTION LIMIT); waiters wait for the pool's connections`;
  }
}

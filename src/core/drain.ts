import type { Clock } from './util/clock.js';

/** What `close()` resolves to. */
export interface CloseReport {
  /** Leases still out when the close timeout ran out; their resources were destroyed. */
  forced: number;
  /** Destroys that had not settled when the close timeout ran out. */
  unsettledDestroys: number;
}

/** Options of `close()`. */
export interface CloseOptions {
  /** How long to wait for borrowed leases to come back before destroying them. Default 30 000. */
  timeoutMs?: number;
}

/** What a draining pool exposes to {@link drain}. */
export interface Draining {
  /** Borrowed leases, checks, creates and destroys still in flight. */
  busy(): number;
  /** Destroys in flight. */
  destroying(): number;
  /** Destroys every resource still borrowed; returns how many there were. */
  force(): number;
}

/**
 * The second half of `close()`: resolves once nothing is in flight any more (the pool
 * calls the returned `check` whenever something settles) or, after `timeoutMs`, forces
 * the leases still held and resolves with how many it forced.
 */
export function drain(
  pool: Draining,
  clock: Clock,
  timeoutMs: number,
): { done: Promise<CloseReport>; check: () => void } {
  let settle!: (r: CloseReport) => void;
  const done = new Promise<CloseReport>((resolve) => (settle = resolve));
  let finished = false;
  let timer: unknown = null;
  const finish = (forced: number): void => {
    if (finished) return;
    finished = true;
    if (timer !== null) clock.clearTimer(timer);
    settle({ forced, unsettledDestroys: pool.destroying() });
  };
  let forcing = false;
  const check = (): void => {
    // While forcing, each destroy settles something: only the final count may finish.
    if (!forcing && pool.busy() === 0) finish(0);
  };
  if (timeoutMs !== Infinity) {
    timer = clock.setTimer(
      () => {
        timer = null;
        forcing = true;
        finish(pool.force());
      },
      timeoutMs,
      true,
    );
  }
  return { done, check };
}

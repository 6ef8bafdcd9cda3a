import type { PoolParts } from './assembly.js';
import { PoolClosedError, withoutStack } from './errors.js';
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
  clock: Clock;
  /** How long to wait before forcing (`close({ timeoutMs })`). */
  timeoutMs: number;
  /** Borrowed leases, checks, creates and destroys still in flight. */
  busy(): number;
  /** Destroys in flight. */
  destroying(): number;
  /** Destroys every resource still borrowed; returns how many there were. */
  force(): number;
}

/**
 * The second half of `close()`: resolves once nothing is in flight any more (the pool
 * calls the returned `check` whenever something in flight ends) or, after `timeoutMs`, forces
 * the leases still held and resolves with how many it forced.
 */
export function drain(pool: Draining): { done: Promise<CloseReport>; check: () => void } {
  const { clock, timeoutMs } = pool;
  let resolve!: (r: CloseReport) => void;
  const done = new Promise<CloseReport>((r) => (resolve = r));
  let finished = false;
  let timer: unknown = null;
  const finish = (forced: number): void => {
    if (finished) return;
    finished = true;
    if (timer !== null) clock.clearTimer(timer);
    resolve({ forced, unsettledDestroys: pool.destroying() });
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

/**
 * @internal The first half of `close()`: the pool refuses new acquires, its timers stop,
 * waiters and `ready()` callers reject at once, creates in flight are aborted and idle
 * resources destroyed; then {@link drain} waits up to `timeoutMs` for what is still out
 * (leases, checks, creates, destroys) and destroys the leases still held after that.
 * The caller calls `check` whenever something in flight ends.
 */
export function shutDown<T>(parts: PoolParts<T>, timeoutMs: number): { done: Promise<CloseReport>; check: () => void } {
  const { state, creator, retirement, waiting, supply, report } = parts;
  state.closed = true;
  parts.deadlines.stop();
  waiting.stop();
  const closedError = report.closedError();
  waiting.failAll(closedError, () => withoutStack(() => report.closedError()));
  supply.rejectReady(closedError);
  creator.abortAll(closedError);
  for (const s of state.idle.toArray()) retirement.destroy(s, 'closed', 'pool closed');
  return drain({
    clock: state.clock,
    timeoutMs,
    busy: () => state.leasesOut + state.checking + creator.creating + retirement.closing,
    destroying: () => retirement.closing,
    force: () => forceReturn(parts, timeoutMs),
  });
}

/** The close timeout ran out: destroys the resources of leases still held, oldest first, and says so. */
function forceReturn<T>({ state, retirement }: PoolParts<T>, timeoutMs: number): number {
  const name = state.options.name;
  // Sorted: a slot handed from one lease to the next keeps its place in the list.
  const outstanding = state.borrowed.toArray().sort((a, b) => a.borrowedAt - b.borrowedAt);
  const why = `lease still held ${timeoutMs} ms after close(); resource destroyed`;
  for (const s of outstanding) retirement.destroy(s, 'closed', new PoolClosedError(why, { pool: name }));
  if (outstanding.length > 0) {
    const what = `${outstanding.length} lease(s) still held after ${timeoutMs} ms; their resources were destroyed`;
    process.emitWarning(`lido: pool "${name}" closed with ${what}`, { code: 'LIDO_CLOSE_FORCED' });
  }
  return outstanding.length;
}

import { Pool } from '../../../src/core/pool.js';
import type { PoolOptions } from '../../../src/core/options.js';
import type { ResizeInfo } from '../../../src/sizing/resize.js';
import type { ManualClock } from '../../support/manual-clock.js';
import type { Database } from './model.js';

/** Waits `ms` on the manual clock. */
export function sleep(clock: ManualClock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(resolve, ms, true));
}

/**
 * Closed-loop callers on a real pool: each borrows, holds the lease as long as the
 * database takes with that many leases in use, releases, and borrows again, until
 * {@link stop}. Counts what it got done.
 */
export class Callers {
  inUse = 0;
  done = 0;
  #callers = 0;
  #running: Promise<void>[] = [];
  #stopped = false;

  constructor(
    readonly pool: Pool<unknown>,
    readonly clock: ManualClock,
    public db: Database,
  ) {}

  /** Starts `n` more callers. */
  add(n: number): void {
    for (let i = 0; i < n; i++) this.#running.push(this.#loop(this.#callers++));
  }

  /** The callers with an index at or above `n` stop after their current lease. */
  keep(n: number): void {
    this.#keep = n;
  }

  #keep = Infinity;

  async #loop(index: number): Promise<void> {
    while (!this.#stopped && index < this.#keep) {
      try {
        await this.pool.use(async () => {
          const holdMs = this.db(++this.inUse, this.clock.now() / 1000);
          await sleep(this.clock, holdMs);
          this.inUse--;
        });
      } catch {
        return; // the pool closed under it
      }
      this.done++;
    }
  }

  /** Stops every caller and waits for them. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.clock.advance(1_000);
    await Promise.all(this.#running);
  }
}

/** A pool with `autoSize` on the manual clock, recording its `resize` events. */
export function sizedPool(clock: ManualClock, options: Partial<PoolOptions<unknown>> = {}) {
  let seq = 0;
  const pool = new Pool<unknown>({
    factory: { create: async () => ({ id: ++seq }), destroy: () => {} },
    max: 64,
    clock,
    autoSize: true,
    acquireTimeoutMs: Infinity,
    ...options,
  });
  const resizes: (ResizeInfo & { at: number })[] = [];
  pool.on('resize', (info) => resizes.push({ ...info, at: clock.now() }));
  return { pool, resizes };
}

/** Samples `pool.stats().limit` every `everyMs` for `ms` (advancing the clock). */
export async function limits(pool: Pool<unknown>, clock: ManualClock, ms: number, everyMs = 500): Promise<number[]> {
  const out: number[] = [];
  for (let t = 0; t < ms; t += everyMs) {
    await clock.advance(everyMs);
    out.push(pool.stats().limit);
  }
  return out;
}

import type { Sample } from '../../../src/sizing/signals.js';

/**
 * A database as the controller sees it: the mean hold time of a lease when `inUse`
 * leases are out at once. Below its knee work runs in parallel (hold times flat); above
 * it every extra lease only queues inside the database (hold time grows with them, so
 * throughput stays flat: Little's law).
 */
export type Database = (inUse: number, atSecond: number) => number;

/** Hold `baseMs` up to `knee` leases in use, then growing with them (`steep`: 1 = throughput flat, > 1 = falling). */
export function kneeDb(baseMs: number, knee: number, steep = 1): Database {
  return (n) => baseMs * Math.max(1, n / knee) ** steep;
}

/**
 * A database on the universal scalability law (Gunther): with `n` leases in use each one
 * holds `baseMs × (1 + contention × (n − 1) + coherency × n × (n − 1))`. Throughput
 * (n / hold) rises ever more slowly, peaks, then falls: a hot row's shape, where the knee
 * is gradual and a doubling near it buys some throughput, not much.
 */
export function uslDb(baseMs: number, contention: number, coherency: number): Database {
  return (n) => baseMs * (1 + contention * (n - 1) + coherency * n * (n - 1));
}

/** A load: closed (`callers` that each borrow again as soon as they are done) or open (`ratePerMs` arrivals). */
export type Load = { callers: number } | { ratePerMs: number };

/**
 * A fluid model of one pool window: the sample the pool would observe over `dtMs` with
 * `limit`, the load and the database, and the backlog an open load left queued. `jitter`
 * (a share, drawn from `rand`) perturbs the hold time as a real window's mean would be.
 */
export class FluidPool {
  backlog = 0;
  #seed: number;

  constructor(
    readonly jitter = 0.03,
    seed = 7,
  ) {
    this.#seed = seed;
  }

  /** A deterministic random number in [0, 1). */
  rand(): number {
    this.#seed = (this.#seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return this.#seed / 2_147_483_648;
  }

  window(limit: number, load: Load, dbAt: Database, dtMs: number, atSecond = 0): Sample {
    const db = (n: number): number => dbAt(n, atSecond);
    const noise = 1 + this.jitter * (2 * this.rand() - 1);
    if ('callers' in load) {
      const busy = Math.min(load.callers, limit);
      const holdMs = db(busy) * noise;
      const rate = busy / holdMs;
      const queued = load.callers - busy;
      return {
        dtMs,
        released: Math.round(rate * dtMs),
        holdMs,
        busy,
        queued,
        arrivalRate: rate,
        waited: queued > 0,
      };
    }
    const offered = load.ratePerMs;
    // Served: what arrives plus the backlog, as far as the limit lets through.
    const want = offered * dtMs + this.backlog;
    let busy = Math.min(limit, (want / dtMs) * db(Math.min(limit, offered * db(limit))));
    const holdMs = db(busy) * noise;
    busy = Math.min(limit, (want / dtMs) * holdMs);
    const served = (busy / holdMs) * dtMs;
    const before = this.backlog;
    this.backlog = Math.max(0, want - served);
    const queued = (before + this.backlog) / 2;
    return {
      dtMs,
      released: Math.round(served),
      holdMs,
      busy,
      queued,
      arrivalRate: offered,
      waited: this.backlog > 0.5 || before > 0.5 || busy > limit * 0.97,
    };
  }
}

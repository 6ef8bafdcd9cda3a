/**
 * The floor of the cycle scenarios: the least a promise-based pool can do per cycle.
 * An idle stack and a FIFO of resolve functions, and nothing else: no clock, no
 * acquire timeout, no stats, no lifetime or validation checks, no errors, no way to
 * withdraw a waiter. Not a usable pool; it shows what is left for any pool that keeps
 * those (lido and every peer do) to win in the uncontended, contended and scaling rows.
 */
import type { Instance, PoolOpts, Subject } from './pools.js';

let ids = 0;

class BarePool {
  readonly #max: number;
  readonly #idle: unknown[] = [];
  /** Waiting resolve functions, oldest at `#head`; compacted once half is spent. */
  #waiters: (((r: unknown) => void) | undefined)[] = [];
  #head = 0;
  #size = 0;

  constructor(max: number) {
    this.#max = max;
  }

  acquire(): Promise<unknown> {
    if (this.#idle.length > 0) return Promise.resolve(this.#idle.pop());
    if (this.#size < this.#max) {
      this.#size++;
      return Promise.resolve({ id: ++ids });
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(r: unknown): void {
    if (this.#head === this.#waiters.length) {
      this.#idle.push(r);
      return;
    }
    const resolve = this.#waiters[this.#head]!;
    this.#waiters[this.#head++] = undefined;
    if (this.#head === this.#waiters.length) {
      this.#waiters.length = this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
    resolve(r);
  }
}

/** The floor row of the cycle scenarios (see the file's header). */
export const floorSubject: Subject = {
  name: 'bare promise pool (floor)',
  peer: false,
  headline: false,
  cycleOnly: true,
  bareResource: () => ({ id: ++ids }),
  make(o: PoolOpts): Instance {
    const pool = new BarePool(o.max);
    return {
      acquire: () => pool.acquire(),
      release: (r) => pool.release(r),
      cancellable: null,
      async cycle(n) {
        for (let i = 0; i < n; i++) {
          const r = await pool.acquire();
          pool.release(r);
        }
      },
      async borrowWhile(go) {
        while (go()) {
          const r = await pool.acquire();
          await null;
          pool.release(r);
        }
      },
      close: async () => {},
    };
  },
};

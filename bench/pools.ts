/**
 * The subjects: lido and its peers behind one small interface. The hot loops
 * (`cycle`, `borrow`) are written out per library so each runs its own idiomatic
 * fastest path with a monomorphic call site; the rest goes through acquire/release.
 *
 * Every pool gets the same `max`, the same no-op resource (a fresh `{ id }` object;
 * for pg-pool a no-op Client), and otherwise its library's default options.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import genericPool from 'generic-pool';
import tarn from 'tarn';
import { lidoBuild } from './build.js';
import { floorSubject } from './floor.js';

const TarnPool = tarn.Pool;

const require = createRequire(import.meta.url);
// pg-pool ships no types; it is used exactly as pg.Pool uses it.
const PgPool = require('pg-pool') as new (
  opts: Record<string, unknown>,
) => {
  connect(): Promise<{ release(err?: unknown): void }>;
  end(): Promise<void>;
};

export interface PoolOpts {
  max: number;
  /** Pool-wide acquire timeout (each library's own option); omitted: its default. */
  acquireTimeoutMs?: number;
}

export interface Cancellable {
  promise: Promise<unknown>;
  cancel(): void;
}

export interface Instance {
  /** Resolves to a handle for `release`. */
  acquire(): Promise<unknown>;
  release(handle: unknown): void;
  /**
   * An acquire that can be withdrawn; null when the library has no way to cancel a
   * waiter. `reason`: what lido's AbortController.abort() is given (default: none); a
   * function is called at each abort for a fresh reason.
   */
  cancellable: ((reason?: unknown) => Cancellable) | null;
  /** Uncontended: n sequential acquire + release cycles. */
  cycle(n: number): Promise<void>;
  /** One borrower: cycles while `go()` says so, each holding the resource across one `await`. */
  borrowWhile(go: () => boolean): Promise<void>;
  close(): Promise<void>;
}

export interface Subject {
  name: string;
  /** A peer library (compared against); false for lido rows. */
  peer: boolean;
  /** The lido row that ratios are computed for. */
  headline: boolean;
  /** Only meaningful in the cycle scenarios (e.g. lido's use() form). */
  cycleOnly: boolean;
  make(o: PoolOpts): Instance;
  /** One bare resource as this subject's factory makes it (memory baseline). */
  bareResource(): unknown;
}

let ids = 0;
const noopResource = () => ({ id: ++ids });

// ---- generic-pool -------------------------------------------------------------

const genericPoolSubject: Subject = {
  name: 'generic-pool',
  peer: true,
  headline: false,
  cycleOnly: false,
  bareResource: noopResource,
  make(o) {
    const pool = genericPool.createPool(
      { create: async () => noopResource(), destroy: async () => {} },
      { max: o.max, ...(o.acquireTimeoutMs ? { acquireTimeoutMillis: o.acquireTimeoutMs } : {}) },
    );
    return {
      acquire: () => pool.acquire(),
      release: (r) => void pool.release(r as { id: number }),
      cancellable: null, // generic-pool cannot withdraw a pending acquire
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
      async close() {
        await pool.drain();
        await pool.clear();
      },
    };
  },
};

// ---- tarn ---------------------------------------------------------------------

const tarnSubject: Subject = {
  name: 'tarn',
  peer: true,
  headline: false,
  cycleOnly: false,
  bareResource: noopResource,
  make(o) {
    const pool = new TarnPool({
      create: () => noopResource(),
      destroy: () => {},
      min: 0,
      max: o.max,
      ...(o.acquireTimeoutMs ? { acquireTimeoutMillis: o.acquireTimeoutMs } : {}),
    });
    return {
      acquire: () => pool.acquire().promise,
      release: (r) => void pool.release(r as { id: number }),
      cancellable() {
        const op = pool.acquire();
        return { promise: op.promise, cancel: () => op.abort() };
      },
      async cycle(n) {
        for (let i = 0; i < n; i++) {
          const r = await pool.acquire().promise;
          pool.release(r);
        }
      },
      async borrowWhile(go) {
        while (go()) {
          const r = await pool.acquire().promise;
          await null;
          pool.release(r);
        }
      },
      async close() {
        await pool.destroy();
      },
    };
  },
};

// ---- pg-pool (with a no-op Client, as pg.Pool would construct it) -------------

/** The smallest Client pg-pool accepts: connect/query/end plus EventEmitter. */
export class NoopClient extends EventEmitter {
  _queryable = true; // pg-pool destroys a released client that is not queryable
  _ending = false;
  constructor(_options?: unknown) {
    super();
  }
  connect(cb?: (err?: Error) => void): Promise<void> | void {
    if (cb) return cb();
    return Promise.resolve();
  }
  query(_text: unknown, _values?: unknown, cb?: (err: Error | undefined, res: unknown) => void) {
    const res = { rows: [], rowCount: 0 };
    if (typeof cb === 'function') return cb(undefined, res);
    return Promise.resolve(res);
  }
  end(cb?: () => void): Promise<void> | void {
    this._ending = true;
    this._queryable = false;
    this.emit('end');
    if (cb) return cb();
    return Promise.resolve();
  }
}

const pgPoolSubject: Subject = {
  name: 'pg-pool',
  peer: true,
  headline: false,
  cycleOnly: false,
  bareResource: () => new NoopClient(),
  make(o) {
    const pool = new PgPool({
      max: o.max,
      Client: NoopClient,
      ...(o.acquireTimeoutMs ? { connectionTimeoutMillis: o.acquireTimeoutMs } : {}),
    });
    return {
      acquire: () => pool.connect(),
      release: (c) => (c as { release(): void }).release(),
      cancellable: null, // pg-pool cannot withdraw a pending connect()
      async cycle(n) {
        for (let i = 0; i < n; i++) {
          const c = await pool.connect();
          c.release();
        }
      },
      async borrowWhile(go) {
        while (go()) {
          const c = await pool.connect();
          await null;
          c.release();
        }
      },
      close: () => pool.end(),
    };
  },
};

// ---- lido ---------------------------------------------------------------------

/** The slice of lido's public API the suite uses (see shared DESIGN.md). */
export interface LidoLease {
  readonly resource: unknown;
  release(): void;
}
export interface LidoPool {
  acquire(o?: { timeoutMs?: number; signal?: AbortSignal }): Promise<LidoLease>;
  use<R>(fn: (resource: unknown) => Promise<R>): Promise<R>;
  stats(): Record<string, unknown>;
  close(): Promise<void>;
}
export type LidoPoolCtor = new (options: Record<string, unknown>) => LidoPool;

/**
 * Loads lido's Pool, built from src/ (see build.ts), or from BENCH_LIDO_MODULE when set
 * (e.g. dist/index.js). The built module's path is put in BENCH_LIDO_MODULE, so child
 * processes load the same build. Pool is null (with the reason) while the core is missing.
 */
export async function loadLido(): Promise<{ Pool: LidoPoolCtor | null; why: string }> {
  let url = process.env.BENCH_LIDO_MODULE ? pathToFileURL(resolve(process.env.BENCH_LIDO_MODULE)).href : null;
  if (!url) {
    url = (await lidoBuild()).get('index') ?? null;
    if (!url) return { Pool: null, why: 'src/index.ts does not exist yet' };
    process.env.BENCH_LIDO_MODULE = fileURLToPath(url);
  }
  const mod = (await import(url)) as { Pool?: LidoPoolCtor };
  if (typeof mod.Pool !== 'function') return { Pool: null, why: `${url} exports no Pool` };
  return { Pool: mod.Pool, why: '' };
}

/** lido's rows: the headline `lido` (acquire + release) and `lido use()`. */
export function lidoSubjects(Pool: LidoPoolCtor): Subject[] {
  const make = (o: PoolOpts) =>
    new Pool({
      factory: { create: async () => noopResource(), destroy() {} },
      max: o.max,
      ...(o.acquireTimeoutMs ? { acquireTimeoutMs: o.acquireTimeoutMs } : {}),
    });
  const common = (pool: LidoPool) => ({
    acquire: () => pool.acquire(),
    release: (l: unknown) => (l as LidoLease).release(),
    cancellable(reason?: unknown) {
      const ac = new AbortController();
      const cancel =
        typeof reason === 'function' ? () => ac.abort((reason as () => unknown)()) : () => ac.abort(reason);
      return { promise: pool.acquire({ signal: ac.signal }), cancel };
    },
    close: () => pool.close(),
  });
  const hold = async (_r: unknown) => {
    await null;
  };
  const noop = async (_r: unknown) => {};
  return [
    {
      name: 'lido',
      peer: false,
      headline: true,
      cycleOnly: false,
      bareResource: noopResource,
      make(o) {
        const pool = make(o);
        return {
          ...common(pool),
          async cycle(n) {
            for (let i = 0; i < n; i++) {
              const lease = await pool.acquire();
              lease.release();
            }
          },
          async borrowWhile(go) {
            while (go()) {
              const lease = await pool.acquire();
              await null;
              lease.release();
            }
          },
        };
      },
    },
    {
      name: 'lido use()',
      peer: false,
      headline: false,
      cycleOnly: true,
      bareResource: noopResource,
      make(o) {
        const pool = make(o);
        return {
          ...common(pool),
          async cycle(n) {
            for (let i = 0; i < n; i++) await pool.use(noop);
          },
          async borrowWhile(go) {
            while (go()) await pool.use(hold);
          },
        };
      },
    },
  ];
}

export const PEERS: Subject[] = [genericPoolSubject, tarnSubject, pgPoolSubject];

/** lido (if present) first, then the peers, then the floor of the cycle scenarios (see floor.ts). */
export async function allSubjects(): Promise<{ subjects: Subject[]; note: string }> {
  const { Pool, why } = await loadLido();
  if (!Pool) return { subjects: [...PEERS, floorSubject], note: `lido skipped: ${why}` };
  return { subjects: [...lidoSubjects(Pool), ...PEERS, floorSubject], note: '' };
}

/** Makes one pool per subject, runs `fn`, and closes them all whatever happens. */
export async function withPools<T>(
  subjects: readonly Subject[],
  opts: PoolOpts,
  fn: (pools: Map<string, Instance>) => Promise<T>,
): Promise<T> {
  const pools = new Map(subjects.map((s) => [s.name, s.make(opts)] as const));
  try {
    return await fn(pools);
  } finally {
    for (const p of pools.values()) await p.close();
  }
}

/** `borrowers` concurrent borrowers doing `each` cycles; resolves when all are done. */
export function runBorrowers(pool: Instance, borrowers: number, each: number): Promise<void[]> {
  const all: Promise<void>[] = new Array(borrowers);
  for (let i = 0; i < borrowers; i++) {
    let left = each;
    all[i] = pool.borrowWhile(() => left-- > 0);
  }
  return Promise.all(all);
}

/** Makes the pool create `n` resources (acquired one by one and held), then releases them all. */
export async function prefill(pool: Instance, n: number): Promise<void> {
  const held: unknown[] = [];
  for (let i = 0; i < n; i++) held.push(await pool.acquire());
  for (const h of held) pool.release(h);
  await new Promise((r) => setImmediate(r));
}

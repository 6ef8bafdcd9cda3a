import { PoolOptionsError } from '../core/errors.js';
import { describe } from '../core/options.js';
import { redactString } from '../core/util/redact.js';
import type { PoolStats } from '../stats/counters.js';

/**
 * Anything the exporters can read: a `Pool` (whose `stats()` is one snapshot), or a
 * keyed or HTTP pool whose `stats()` reports one snapshot per key.
 *
 * `stats()` may return one {@link PoolStats}, an array or Map of them, or an object
 * whose values are {@link PoolStats} (one per key), also one level down (`KeyedPool`'s
 * `{ total, perKey: [...] }`). An entry named `total` is skipped: it would count the
 * same connections twice. A snapshot without a name is named `<source name>/<key>`.
 */
export interface ObservablePool {
  /** The source's name; names per-key snapshots that lack one. */
  readonly name?: string;
  /** A {@link PoolStats} snapshot, or one per key in the shapes described above. */
  stats(): object;
}

/** A pool to export, optionally saying what it pools: `http` pools also report `http.client.open_connections`. */
export type PoolSource =
  | ObservablePool
  | {
      /** The pool to export. */
      pool: ObservablePool;
      /** What it pools: `'db'` (the default) or `'http'`. */
      kind?: 'db' | 'http';
    };

/** @internal A source after validation. */
export interface Source {
  pool: ObservablePool;
  kind: 'db' | 'http';
}

const isStats = (v: unknown): v is PoolStats =>
  v !== null &&
  typeof v === 'object' &&
  typeof (v as PoolStats).size === 'number' &&
  typeof (v as PoolStats).idle === 'number';

/** @internal Validates one entry of a `pools` option, naming it (`pools[2]`) when it is wrong. */
export function toSource(entry: unknown, where: string): Source {
  const e = entry as { pool?: unknown; kind?: unknown; stats?: unknown } | null;
  if (e !== null && typeof e === 'object' && 'pool' in e && typeof e.stats !== 'function') {
    if (e.kind !== undefined && e.kind !== 'db' && e.kind !== 'http')
      throw new PoolOptionsError(`${where}.kind: expected "db" or "http", got ${describe(e.kind)}`);
    return { pool: toSource(e.pool, `${where}.pool`).pool, kind: (e.kind as 'db' | 'http' | undefined) ?? 'db' };
  }
  if (e === null || typeof e !== 'object' || typeof e.stats !== 'function') {
    throw new PoolOptionsError(
      `${where}: expected a pool (an object with stats()) or { pool, kind }, got ${describe(entry)}`,
    );
  }
  return { pool: e as ObservablePool, kind: 'db' };
}

/** @internal Validates a `pools` option. */
export function toSources(pools: unknown, where = 'pools'): Source[] {
  if (!Array.isArray(pools)) throw new PoolOptionsError(`${where}: expected an array of pools, got ${describe(pools)}`);
  return pools.map((p, i) => toSource(p, `${where}[${i}]`));
}

/** @internal Every snapshot a source reports, each with a name. */
export function snapshots(pool: ObservablePool): PoolStats[] {
  const out: PoolStats[] = [];
  const base = typeof pool.name === 'string' && pool.name !== '' ? pool.name : 'pool';
  // Names become labels and attributes: a name holding credentials (a keyed pool's key that
  // is a connection string) is shown without them.
  const add = (s: PoolStats, key: unknown): void => {
    const name =
      typeof s.name === 'string' && s.name !== '' ? s.name : key === undefined ? base : `${base}/${String(key)}`;
    const shown = redactString(name);
    out.push(shown === s.name ? s : { ...s, name: shown });
  };
  // One snapshot; or a Map, iterable or object of them (one level down too, as in
  // KeyedPool's `{ total, perKey: [...] }`); `total` is skipped.
  const walk = (v: unknown, key: unknown, depth: number): void => {
    if (isStats(v)) return add(v, key);
    if (v === null || typeof v !== 'object' || depth > 1) return;
    if (v instanceof Map) for (const [k, s] of v) walk(s, k, depth + 1);
    else if (Symbol.iterator in v) {
      let i = 0;
      for (const s of v as Iterable<unknown>) walk(s, (s as { key?: unknown })?.key ?? i++, depth + 1);
    } else for (const [k, s] of Object.entries(v)) if (k !== 'total') walk(s, k, depth + 1);
  };
  walk(pool.stats(), undefined, 0);
  return out;
}

/**
 * @internal The sources an exporter reports, and which publishing pools belong to
 * them: a registered pool itself, or a pool a registered source reports by name (a
 * keyed pool's key pools). The by-name answer is looked up once per pool object.
 */
export class Sources {
  readonly #map = new Map<ObservablePool, Source>();
  #members = new WeakMap<object, boolean>();

  constructor(sources: Source[]) {
    for (const s of sources) this.#map.set(s.pool, s);
  }

  add(s: Source): void {
    this.#map.set(s.pool, s);
    this.#members = new WeakMap();
  }

  delete(pool: ObservablePool): void {
    this.#map.delete(pool);
    this.#members = new WeakMap();
  }

  clear(): void {
    this.#map.clear();
    this.#members = new WeakMap();
  }

  values(): IterableIterator<Source> {
    return this.#map.values();
  }

  /** Does an event published by `pool` belong to the registered sources? */
  includes(pool: { readonly name: string }): boolean {
    if (this.#map.has(pool as ObservablePool)) return true;
    let known = this.#members.get(pool);
    if (known === undefined) {
      known = false;
      for (const s of this.#map.values()) {
        try {
          if (snapshots(s.pool).some((x) => x.name === redactString(pool.name))) known = true;
        } catch {
          // a broken source reports nothing
        }
        if (known) break;
      }
      this.#members.set(pool, known);
    }
    return known;
  }
}

/** @internal The effective limit of a snapshot: `limit`, or `max` from a source that has none. */
export function limitOf(s: PoolStats): number {
  return typeof s.limit === 'number' ? s.limit : s.max;
}

/** @internal Destroys by reason of a snapshot (none from a source that does not count them). */
export function closedBy(s: PoolStats): [reason: string, count: number][] {
  return s.destroyedBy !== null && typeof s.destroyedBy === 'object' ? Object.entries(s.destroyedBy) : [];
}

/** @internal Open connections by state: `used` counts borrowed ones and those being validated or reset. */
export function openCounts(s: PoolStats): { idle: number; used: number } {
  return { idle: s.idle, used: Math.max(0, s.size - s.creating - s.idle) };
}

/** @internal `server.address`, `server.port` and `url.scheme` of an HTTP pool named by its origin. */
export function originOf(name: string): { address: string; port: number; scheme: string } | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return null;
  try {
    const u = new URL(name);
    const scheme = u.protocol.slice(0, -1);
    const port = u.port !== '' ? Number(u.port) : scheme === 'https' ? 443 : 80;
    return { address: u.hostname, port, scheme };
  } catch {
    return null;
  }
}

/** Counter fields a pool's stats carry; reset by `resetStats()`. */
export type CounterField =
  | 'timeouts'
  | 'created'
  | 'destroyed'
  | 'acquired'
  | 'createErrors'
  | 'validationFailures'
  | 'leaks'
  | 'rejected';

/**
 * @internal Turns counters that `resetStats()` zeroes into monotonic totals: after a
 * reset (seen as `sinceMs` or the counter going down) the new value is added whole.
 */
export class Monotonic {
  readonly #seen = new Map<string, { last: number; since: number; total: number }>();

  /** The monotonic total of `field` for the pool named `s.name`. */
  total(s: PoolStats, field: CounterField): number {
    return this.of(s, field, s[field]);
  }

  /** The monotonic total of the counter `key` of the pool named `s.name`, whose value now is `cur`. */
  of(s: PoolStats, key: string, cur: number): number {
    key = `${s.name}\0${key}`;
    const e = this.#seen.get(key);
    if (e === undefined) {
      this.#seen.set(key, { last: cur, since: s.sinceMs, total: cur });
      return cur;
    }
    e.total += s.sinceMs < e.since || cur < e.last ? cur : cur - e.last;
    e.last = cur;
    e.since = s.sinceMs;
    return e.total;
  }
}

/** Default histogram bucket bounds, in seconds: 0.5 ms to 30 s. */
export const DEFAULT_BUCKETS_S: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

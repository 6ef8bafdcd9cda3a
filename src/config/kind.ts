/**
 * What a pool pools, for the admin handler's `/stats?group=kind`: `database`, `redis`,
 * `http`, or `other`. The core never names a driver, so a pool does not know its kind;
 * an adapter's pool class says it on its prototype under a registered symbol
 * ({@link POOL_KIND}), and the admin handler reads it there (or from a `{ pool, kind }`
 * entry, for a pool of your own). A registered symbol, so the ESM and CommonJS builds
 * agree on it.
 */

/** What a pool pools, as the admin handler groups them. */
export type PoolKind = 'database' | 'redis' | 'http' | 'other';

/** The kinds, in the order the grouped stats list them. */
export const POOL_KINDS: readonly PoolKind[] = ['database', 'redis', 'http', 'other'];

/** @internal The key under which an adapter's pool class states its kind (on its prototype). */
export const POOL_KIND: unique symbol = Symbol.for('lido.poolKind');

/** @internal Marks every instance of `poolClass` as pooling `kind`. */
export function declarePoolKind(poolClass: { prototype: object }, kind: PoolKind): void {
  Object.defineProperty(poolClass.prototype, POOL_KIND, { value: kind, enumerable: false, configurable: true });
}

/** @internal The kind `pool` states, or `other`. */
export function poolKindOf(pool: unknown): PoolKind {
  if (pool === null || typeof pool !== 'object') return 'other';
  const kind = (pool as { [POOL_KIND]?: unknown })[POOL_KIND];
  return POOL_KINDS.includes(kind as PoolKind) ? (kind as PoolKind) : 'other';
}

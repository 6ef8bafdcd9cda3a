import type { Advice } from '../../stats/advice.js';
import { POOL_KINDS, type PoolKind } from '../../config/kind.js';
import type { AdminPool } from './options.js';
import { redact, redactString } from '../../core/util/redact.js';

/** One recommendation of `/stats?group=kind`: a pool's `advise()` entry, with the pool's name first. */
export interface GroupedRecommendation extends Partial<Omit<Advice, 'severity' | 'issue' | 'suggestion'>> {
  /** The pool's name. */
  pool: string;
  /** `critical`, `warning` or `info`. */
  severity: Advice['severity'];
  /** What was observed. */
  issue: string;
  /** What to do about it. */
  suggestion: string;
}

/**
 * The body of `GET /stats?group=kind`: each pool's stats under its kind, keyed by name,
 * and every pool's recommendations beside them, the most severe first.
 */
export interface GroupedStats {
  /** Pools of database connections (`PgPool`, or `{ pool, kind: 'database' }`). */
  database_pools: Record<string, unknown>;
  /** `RedisPool`s. */
  redis_pools: Record<string, unknown>;
  /** `HttpPool`s. */
  http_pools: Record<string, unknown>;
  /** Every other pool (a `Pool` or `KeyedPool` of your own resources, unless its entry says its kind). */
  other_pools: Record<string, unknown>;
  /** Every pool's `advise()`, critical first, then warning, then info; in pool order within a severity. */
  recommendations: GroupedRecommendation[];
}

const RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

function message(e: unknown): string {
  return redactString(e instanceof Error ? e.message : String(e));
}

/** @internal Builds {@link GroupedStats}; a pool whose `stats()` throws shows `{ error }` in its place. */
export function groupedStats(pools: readonly AdminPool[], kindOf: (pool: AdminPool) => PoolKind): GroupedStats {
  const groups = Object.fromEntries(POOL_KINDS.map((k) => [k, {} as Record<string, unknown>])) as Record<
    PoolKind,
    Record<string, unknown>
  >;
  const recommendations: GroupedRecommendation[] = [];
  for (const pool of pools) {
    let stats: unknown;
    try {
      stats = redact(pool.stats(), false);
    } catch (e) {
      stats = { error: message(e) };
    }
    groups[kindOf(pool)][pool.name] = stats;
    try {
      for (const advice of redact(pool.advise?.() ?? []) as Advice[]) {
        recommendations.push({ pool: pool.name, ...advice });
      }
    } catch (e) {
      recommendations.push({
        pool: pool.name,
        severity: 'warning',
        issue: `advice unavailable: advise() threw: ${message(e)}`,
        suggestion: `GET /advice?pool=${encodeURIComponent(pool.name)} shows the same error; look at the pool's logs`,
      });
    }
  }
  // Array.prototype.sort is stable: pool order is kept within a severity.
  recommendations.sort((a, b) => (RANK[a.severity] ?? 3) - (RANK[b.severity] ?? 3));
  return {
    database_pools: groups.database,
    redis_pools: groups.redis,
    http_pools: groups.http,
    other_pools: groups.other,
    recommendations,
  };
}

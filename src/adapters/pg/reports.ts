/**
 * What `PgPool.stats()`, `health()` and `advise()` report: the primary's pool, with
 * `replicas` the cluster's, and what only PgPool knows (the server's refusals).
 */
import type { Advice } from '../../stats/advice.js';
import type { Members } from './members.js';
import type { PgPoolHealth, PgPoolStats } from './pool-types.js';
import type { ClientLike } from './types.js';

/** The primary's stats (with `replicas`, the cluster's state and each replica's), and `serverRefusals`. */
export function membersStats<C extends ClientLike>(members: Members<C>): PgPoolStats {
  const serverRefusals = members.primary.refusals.count;
  if (members.cluster === null) return { ...members.primary.pool.stats(), serverRefusals };
  const { primary, strategy, healthyReplicas, replicas } = members.cluster.stats();
  return { ...primary, strategy, healthyReplicas, replicas, serverRefusals };
}

/** The primary's health (with `replicas`, the cluster's), degraded while the server refuses connections. */
export function membersHealth<C extends ClientLike>(members: Members<C>): PgPoolHealth {
  const h: PgPoolHealth = (members.cluster ?? members.primary.pool).health();
  // A server refusal in the last minute says why creates fail: the server's limit.
  const why = members.primary.refusals.reason(60_000);
  if (why === null || h.status === 'down') return h;
  return { ...h, status: 'degraded', reasons: [...h.reasons, why] };
}

/** The primary's advice, then each replica's, naming the replica. */
export function membersAdvice<C extends ClientLike>(members: Members<C>): Advice[] {
  const advice = members.primary.pool.advise();
  for (const m of members.replicas)
    for (const a of m.pool.advise()) advice.push({ ...a, issue: `replica "${m.pool.name}": ${a.issue}` });
  return advice;
}

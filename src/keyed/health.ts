import { AcquireTimeoutError } from '../core/errors.js';
import type { Health } from '../stats/health.js';
import type { Budget } from './budget.js';
import type { KeyEntry } from './entry.js';

/** Reasons listed one by one before the rest are counted. */
const LISTED = 6;

/**
 * @internal A keyed pool's health: `down` once closed; `degraded` while creates wait for
 * room under `maxTotal` or a key's pool is not ok (its bands and reasons are its own).
 */
export function keyedHealth<K, T>(
  closed: boolean,
  budget: Budget<KeyEntry<K, T>>,
  entries: Iterable<KeyEntry<K, T>>,
): Health {
  if (closed) return { status: 'down', reasons: ['keyed pool is closed'] };
  const reasons: string[] = [];
  if (budget.waiting > 0)
    reasons.push(`${budget.waiting} create(s) waiting for room under maxTotal ${budget.max} (${budget.used} live)`);
  let more = 0;
  for (const e of entries) {
    const h = e.pool.health();
    if (h.status === 'ok') continue;
    if (reasons.length < LISTED) reasons.push(`pool "${e.pool.name}" ${h.status}: ${h.reasons.join('; ')}`);
    else more++;
  }
  if (more > 0) reasons.push(`and ${more} more key pool(s) not ok`);
  return reasons.length === 0 ? { status: 'ok', reasons } : { status: 'degraded', reasons };
}

/** @internal An acquire timeout of `e` while its creates waited for room under `maxTotal`, saying so. */
export function explainTimeout<K, T>(
  e: KeyEntry<K, T>,
  b: Budget<KeyEntry<K, T>>,
  error: AcquireTimeoutError,
): AcquireTimeoutError {
  const why =
    e.owed > 0
      ? `key capped at ${e.cap} while other keys wait for room under maxTotal ${b.max}`
      : `waiting for room under maxTotal ${b.max}: ${b.used} live across ${b.holders.size} key(s), ${b.waiting} create(s) waiting`;
  return new AcquireTimeoutError(`${error.message}; ${why}`, { pool: error.pool, counts: error.counts, cause: error });
}

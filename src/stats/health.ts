import type { PoolStats } from './counters.js';

/** What `pool.health()` returns. */
export interface Health {
  /** `ok`; `degraded`: working but waits, timeouts, leaks or failing creates; `down`: cannot serve. */
  status: 'ok' | 'degraded' | 'down';
  /** Why, in words; empty when ok. */
  reasons: string[];
}

/** @internal What the pool knows beyond its stats. */
export interface HealthInput {
  stats: PoolStats;
  closed: boolean;
  createFailures: number;
  lastCreateError: Error | null;
  oldestWaitMs: number;
  sinceTimeoutMs: number;
  sinceLeakMs: number;
  acquireTimeoutMs: number;
}

/** Timeouts and leaks count against health for this long after they happen. */
export const HEALTH_WINDOW_MS = 60_000;

/** @internal Judges a pool's health from a snapshot. */
export function health(h: HealthInput): Health {
  const s = h.stats;
  if (h.closed) return { status: 'down', reasons: ['pool is closed'] };
  const down: string[] = [];
  const degraded: string[] = [];
  const live = s.size - s.creating;
  if (h.createFailures > 0) {
    const last = h.lastCreateError?.message ?? 'unknown error';
    const line = `creates failing: ${h.createFailures} in a row (last: ${last})`;
    if (live === 0 && s.idle === 0) down.push(`${line}; no resource alive`);
    else degraded.push(line);
  }
  const waitLimit = Math.min(1_000, h.acquireTimeoutMs / 4);
  if (s.pending > 0 && h.oldestWaitMs > waitLimit) {
    degraded.push(
      `${s.pending} acquire(s) waiting, the oldest for ${Math.round(h.oldestWaitMs)} ms (${s.borrowed}/${s.max} borrowed)`,
    );
  }
  if (h.sinceTimeoutMs < HEALTH_WINDOW_MS)
    degraded.push(`acquire timeouts in the last ${HEALTH_WINDOW_MS / 1000} s (${s.timeouts} since stats reset)`);
  if (h.sinceLeakMs < HEALTH_WINDOW_MS)
    degraded.push(`leaked leases in the last ${HEALTH_WINDOW_MS / 1000} s (${s.leaks} since stats reset)`);
  if (down.length > 0) return { status: 'down', reasons: [...down, ...degraded] };
  if (degraded.length > 0) return { status: 'degraded', reasons: degraded };
  return { status: 'ok', reasons: [] };
}

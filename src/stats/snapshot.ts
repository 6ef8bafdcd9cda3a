import type { PoolParts } from '../core/assembly.js';
import type { PoolState } from '../core/state.js';
import { countsOf } from '../core/assembly.js';
import type { PoolStats } from './counters.js';
import { health, type PoolHealth } from './health.js';

/** @internal A pool's `stats()`: its counts now, then its counters and latency histograms. */
export function statsOf<T>({ state, creator, retirement, budget }: PoolParts<T>): PoolStats {
  const { options, counters, clock } = state;
  const c = countsOf(state, creator);
  return {
    name: options.name,
    size: c.size,
    idle: c.idle,
    borrowed: c.borrowed,
    pending: c.pending,
    creating: c.creating,
    checking: state.checking,
    closing: retirement.closing,
    overflow: Math.max(0, state.live - options.min),
    min: options.min,
    max: options.max,
    limit: state.limit,
    budget: budget === null ? null : budget.stats(),
    ...counters.snapshot(clock.now()),
  };
}

/** @internal A pool's `health()`, judged from its stats and what its parts remember. */
export function healthOf<T>(parts: PoolParts<T>): PoolHealth {
  const { state, creator, waiting, report } = parts;
  const now = state.clock.now();
  const h = health({
    stats: statsOf(parts),
    closed: state.closed,
    createFailures: creator.failures,
    lastCreateError: creator.lastError,
    oldestWaitMs: waiting.oldestWaitMs(now),
    sinceLeakMs: now - report.lastLeakAt,
    acquireTimeoutMs: state.options.acquireTimeoutMs,
    rates: state.rates.rates(now),
    bands: state.options.health,
  });
  // The budget's reason (its store unreachable, a lease lost) degrades an open pool.
  const why = parts.budget === null || state.closed ? null : parts.budget.health();
  if (why === null) return h;
  return { ...h, status: h.status === 'ok' ? 'degraded' : h.status, reasons: [...h.reasons, `budget: ${why}`] };
}

/** Zeroes the counters, histograms and rate windows (counts of live resources are kept). */
export function resetStatsOf<T>(state: PoolState<T>): void {
  const now = state.clock.now();
  state.counters.reset(now, state.leasesOut);
  state.rates.reset(now);
}

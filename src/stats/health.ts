import type { PoolStats } from './counters.js';
import type { Band, HealthBands } from './health-options.js';
import type { WindowRates } from './rate-window.js';

export type { Band, HealthBands, HealthOptions } from './health-options.js';

/** Which band a figure is in: below `warning`, at or above `warning`, at or above `critical`. */
export type HealthBand = 'ok' | 'warning' | 'critical';

/** Each figure's band (`health()`). */
export interface HealthFigureBands {
  /** The band of borrowed / limit, now. */
  saturation: HealthBand;
  /** The band of acquire timeouts per acquire over the window. */
  timeoutRate: HealthBand;
  /** The band of create errors per create over the window. */
  errorRate: HealthBand;
}

/** What `pool.health()` returns. */
export interface Health {
  /**
   * `down`: cannot serve (closed, or nothing alive while creates fail); `degraded`: a figure
   * at warning or above, acquires waiting long, or leaks; `ok` otherwise.
   */
  status: 'ok' | 'degraded' | 'down';
  /** Why, in words; empty when ok. */
  reasons: string[];
  /** Borrowed / limit, now (0 to 1). Optional only for health objects made outside a pool. */
  saturation?: number;
  /** Acquire timeouts per acquire over the health window (0 to 1). */
  timeoutRate?: number;
  /** Create errors per create over the health window (0 to 1). */
  errorRate?: number;
  /** Each figure's band, from option `health`. */
  bands?: HealthFigureBands;
}

/** What `Pool.health()` returns: {@link Health} with every figure and its band. */
export interface PoolHealth extends Health {
  /** Borrowed / limit, now (0 to 1). */
  saturation: number;
  /** Acquire timeouts per acquire over the health window (0 to 1). */
  timeoutRate: number;
  /** Create errors per create over the health window (0 to 1). */
  errorRate: number;
  /** Each figure's band, from option `health`. */
  bands: HealthFigureBands;
}

/** @internal What the pool knows beyond its stats. */
export interface HealthInput {
  stats: PoolStats;
  closed: boolean;
  createFailures: number;
  lastCreateError: Error | null;
  oldestWaitMs: number;
  sinceLeakMs: number;
  acquireTimeoutMs: number;
  /** The counts over the window. */
  rates: WindowRates;
  /** Option `health`. */
  bands: HealthBands;
}

/** Leaks count against health for this long after they happen (also the default rate window). */
export const HEALTH_WINDOW_MS = 60_000;

/** @internal The band `value` is in. */
export function bandOf(value: number, [warning, critical]: Band): HealthBand {
  return value >= critical ? 'critical' : value >= warning ? 'warning' : 'ok';
}

const pct = (v: number): string => `${Math.round(v * 10_000) / 100} %`;

/** @internal Judges a pool's health from a snapshot. */
export function health(h: HealthInput): PoolHealth {
  const s = h.stats;
  const b = h.bands;
  const r = h.rates;
  const saturation = s.limit > 0 ? Math.min(1, s.borrowed / s.limit) : 0;
  const figures = { saturation, timeoutRate: r.timeoutRate, errorRate: r.errorRate };
  const bands: HealthFigureBands = {
    saturation: bandOf(saturation, b.saturation),
    timeoutRate: bandOf(r.timeoutRate, b.timeoutRate),
    errorRate: bandOf(r.errorRate, b.errorRate),
  };
  const out = (status: Health['status'], reasons: string[]): PoolHealth => ({ status, reasons, ...figures, bands });
  if (h.closed) return out('down', ['pool is closed']);
  const down: string[] = [];
  const degraded: string[] = [];
  const window = `in the last ${Math.round(b.windowMs / 1000)} s`;
  const at = (band: HealthBand, bounds: Band): string =>
    band === 'critical' ? `critical at ${pct(bounds[1])}` : `warning at ${pct(bounds[0])}`;
  if (bands.saturation !== 'ok')
    degraded.push(
      `saturation ${pct(saturation)} (${at(bands.saturation, b.saturation)}): ${s.borrowed}/${s.limit} borrowed`,
    );
  if (bands.timeoutRate !== 'ok')
    degraded.push(
      `acquire timeouts ${pct(r.timeoutRate)} of ${r.acquired + r.timeouts} acquires ${window} (${at(bands.timeoutRate, b.timeoutRate)})`,
    );
  if (bands.errorRate !== 'ok')
    degraded.push(
      `create errors ${pct(r.errorRate)} of ${r.created + r.createErrors} creates ${window} (${at(bands.errorRate, b.errorRate)})`,
    );
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
      `${s.pending} acquire(s) waiting, the oldest for ${Math.round(h.oldestWaitMs)} ms (${s.borrowed}/${s.limit} borrowed)`,
    );
  }
  if (h.sinceLeakMs < b.windowMs) degraded.push(`leaked leases ${window} (${s.leaks} since stats reset)`);
  if (down.length > 0) return out('down', [...down, ...degraded]);
  if (degraded.length > 0) return out('degraded', degraded);
  return out('ok', []);
}

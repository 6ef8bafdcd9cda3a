import { PoolOptionsError } from '../core/errors.js';
import { checkDuration, describe, rejectUnknown } from '../core/util/check.js';

/** `[warning, critical]`: a figure at or above `warning` is in the warning band, at or above `critical` in the critical band. */
export type Band = readonly [warning: number, critical: number];

/** Option `health`: the bands `health()` judges each figure by. Every key is optional. */
export interface HealthOptions {
  /** Borrowed / limit, now. Default `[0.8, 0.95]`. */
  saturation?: Band;
  /** Acquire timeouts per acquire over the window. Default `[0.01, 0.05]`. */
  timeoutRate?: Band;
  /** Create errors per create over the window. Default `[0.001, 0.01]`. */
  errorRate?: Band;
  /** The window the two rates are counted over, ms. Default 60 000. */
  windowMs?: number;
}

/** Option `health` after defaults and validation. */
export interface HealthBands {
  /** Borrowed / limit. */
  saturation: Band;
  /** Acquire timeouts per acquire. */
  timeoutRate: Band;
  /** Create errors per create. */
  errorRate: Band;
  /** The window of the two rates, ms. */
  windowMs: number;
}

/** The bands of the common service guides. */
export const defaultHealth: HealthBands = Object.freeze({
  saturation: Object.freeze([0.8, 0.95] as const),
  timeoutRate: Object.freeze([0.01, 0.05] as const),
  errorRate: Object.freeze([0.001, 0.01] as const),
  windowMs: 60_000,
});

const KNOWN = new Set(['saturation', 'timeoutRate', 'errorRate', 'windowMs']);

function band(name: string, v: unknown, fallback: Band): Band {
  if (v === undefined) return fallback;
  const ok =
    Array.isArray(v) &&
    v.length === 2 &&
    v.every((x) => typeof x === 'number' && Number.isFinite(x)) &&
    v[0] > 0 &&
    v[0] <= v[1] &&
    v[1] <= 1;
  if (!ok) {
    const got = Array.isArray(v) ? `[${v.map((x) => describe(x)).join(', ')}]` : describe(v);
    throw new PoolOptionsError(
      `health.${name}: expected [warning, critical] with 0 < warning <= critical <= 1, got ${got}`,
    );
  }
  return Object.freeze([v[0], v[1]] as const);
}

/** @internal Validates option `health` (partial overrides allowed) and fills in the defaults. */
export function resolveHealth(input: unknown): HealthBands {
  if (input === undefined) return defaultHealth;
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new PoolOptionsError(
      `health: expected an object { saturation?, timeoutRate?, errorRate?, windowMs? }, got ${describe(input)}`,
    );
  const o = input as Record<string, unknown>;
  rejectUnknown('health', o, KNOWN);
  return {
    saturation: band('saturation', o.saturation, defaultHealth.saturation),
    timeoutRate: band('timeoutRate', o.timeoutRate, defaultHealth.timeoutRate),
    errorRate: band('errorRate', o.errorRate, defaultHealth.errorRate),
    windowMs: checkDuration('health.windowMs', o.windowMs ?? defaultHealth.windowMs, true),
  };
}

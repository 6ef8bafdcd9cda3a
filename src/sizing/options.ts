import { PoolOptionsError } from '../core/errors.js';
import { checkDuration, describe, rejectUnknown } from '../core/util/check.js';

/**
 * Tuning of `autoSize` (option `autoSize: true | AutoSizeOptions`). Every key is optional;
 * the defaults suit request/response work against a database (docs/sizing.md).
 */
export interface AutoSizeOptions {
  /**
   * How often the controller looks at what the pool observed and may move its limit, ms.
   * Shorter reacts faster and reads noisier windows. Default 500.
   */
  intervalMs?: number;
  /**
   * Spare capacity over what Little's law says the load needs (arrival rate × hold time):
   * the limit aims at `need × headroom`. At least 1, at most 4. Default 1.25.
   */
  headroom?: number;
  /**
   * How long the load must stay below the limit before the pool shrinks, ms. Lulls
   * shorter than this never shrink it. Default 10 000.
   */
  shrinkAfterMs?: number;
}

/** @internal `autoSize` after defaults and validation. */
export interface ResolvedAutoSize {
  intervalMs: number;
  headroom: number;
  shrinkAfterMs: number;
}

/** Default values of the `autoSize` tuning keys. */
export const autoSizeDefaults = {
  /** The controller's window, ms. */
  intervalMs: 500,
  /** Spare capacity over the load's need. */
  headroom: 1.25,
  /** Load below the limit for this long before shrinking, ms (10 s). */
  shrinkAfterMs: 10_000,
} as const;

const KNOWN = new Set(Object.keys(autoSizeDefaults));

/**
 * @internal Validates option `autoSize` eagerly: `undefined` or `false` is off (false),
 * `true` is on with the defaults, an object is on with its tuning. Throws
 * {@link PoolOptionsError} naming the bad key.
 */
export function resolveAutoSize(value: unknown): ResolvedAutoSize | false {
  if (value === undefined || value === false) return false;
  if (value === true) return { ...autoSizeDefaults };
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new PoolOptionsError(`autoSize: expected true, false or an object of tuning options, got ${describe(value)}`);
  const o = value as Record<string, unknown>;
  rejectUnknown('autoSize', o, KNOWN);
  const intervalMs = checkDuration('autoSize.intervalMs', o.intervalMs ?? autoSizeDefaults.intervalMs, true);
  if (intervalMs < 10)
    throw new PoolOptionsError(`autoSize.intervalMs: expected at least 10 ms, got ${describe(intervalMs)}`);
  const headroom = o.headroom ?? autoSizeDefaults.headroom;
  if (typeof headroom !== 'number' || !Number.isFinite(headroom) || headroom < 1 || headroom > 4)
    throw new PoolOptionsError(`autoSize.headroom: expected a number from 1 to 4, got ${describe(headroom)}`);
  const shrinkAfterMs = checkDuration('autoSize.shrinkAfterMs', o.shrinkAfterMs ?? autoSizeDefaults.shrinkAfterMs);
  if (shrinkAfterMs < intervalMs)
    throw new PoolOptionsError(
      `autoSize.shrinkAfterMs: expected at least intervalMs (${intervalMs}), got ${describe(shrinkAfterMs)}`,
    );
  return { intervalMs, headroom, shrinkAfterMs };
}

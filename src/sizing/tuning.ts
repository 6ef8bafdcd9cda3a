/**
 * @internal The `autoSize` controller's tuning: its bands, steps and hold-offs, in one
 * place (docs/sizing.md says what each does to the pool).
 */
/** Short-term hold time: about the last two windows. */
export const SHORT_ALPHA = 0.5;
/** Long-term hold time, the baseline: about the last ten windows at the current limit. */
export const LONG_ALPHA = 0.1;
/** Growth waits while the short-term hold time is this far above the baseline ("near" ends here). */
export const NEAR = 1.2;
/** The short-term hold time this far above the baseline is "well above": back off. */
export const WELL_ABOVE = 1.5;
/** The short-term hold time this many times below the baseline: the database got faster. */
export const FASTER = 2;
/** Windows in a row the hold time must stay well above its baseline before a back-off (one is noise). */
export const SUSTAINED = 2;
/** Windows in a row without a caller waiting before waiters count as a new load (a step up). */
export const QUIET = 2;
/** Leases wanted (in use + waiting) this many times their average is a new load too. */
export const SURGE = 2;
/** A back-off keeps this share of the limit. */
export const BACKOFF = 0.75;
/** Growth at most doubles the limit per window (while hold times stay flat), else adds this share. */
export const FAST_STEP = 2;
/** (Just under a fifth: a probe from the setpoint and back stays within ±20 % of it, rounded.) */
export const SLOW_STEP = 1.19;
/** Failed growths from one knee that confirm it. */
export const CONFIRMED = 2;
/** A failed growth at least this large (a share of the limit) that still bought throughput ends between. */
export const LARGE_STEP = 1.5;
/**
 * Where between: this share of the way up (the knee is somewhere in the step; a few
 * connections too many cost less than too few).
 */
export const BETWEEN = 2 / 3;
/** Below this limit growth doubles even after a failed trial (a slow step is one lease or two). */
export const SMALL_LIMIT = 8;
/** The load's need (with headroom) must stay under this share of the limit to count as below it. */
export const BELOW = 0.85;
/**
 * Windows without a trial after a back-off, a failed trial or a kept cut (the dead band
 * around the knee): first, and at most (it doubles each time, until the load steps or shrinks).
 */
export const FIRST_PAUSE = 4;
export const MAX_PAUSE = 120;

/**
 * How the limit settles after a step in load, and how much it moves under steady load,
 * computed from a child's trace (one sample of `stats().limit` every `sampleMs`).
 */
import { median } from '../lib.js';

/** One sample: ms since the child's start, and the limit then. */
export interface LimitPoint {
  t: number;
  limit: number;
}

/** How the limit settled in one phase after a step. */
export interface Settling {
  /** The limit the phase ends at: the median of its samples in the last `finalMs`. */
  final: number;
  /**
   * Time from the step until the limit is within ±`tolerance` of `final` and stays there
   * to the end of the phase (ms); null when the last sample is outside the band.
   */
  settleMs: number | null;
}

/** The samples taken in (from, to]. */
const within = (trace: readonly LimitPoint[], from: number, to: number) => trace.filter((p) => p.t > from && p.t <= to);

/**
 * Settling of the limit in the phase from `from` (the step) to `to`: its final value
 * (median over the phase's last `finalMs`), and how long after the step the limit entered
 * the band of ±`tolerance` around it for good.
 */
export function settling(
  trace: readonly LimitPoint[],
  from: number,
  to: number,
  finalMs: number,
  tolerance = 0.2,
): Settling {
  const points = within(trace, from, to);
  const tail = points.filter((p) => p.t > to - finalMs).map((p) => p.limit);
  if (tail.length === 0) return { final: NaN, settleMs: null };
  const final = median(tail);
  const band = tolerance * final;
  let enter: number | null = null;
  for (const p of points) {
    if (Math.abs(p.limit - final) > band) enter = null;
    else enter ??= p.t;
  }
  return { final, settleMs: enter === null ? null : Math.max(0, enter - from) };
}

/**
 * How far the limit strays from its median over (from, to]: the largest |limit − median|
 * as a fraction of the median (0.1 = ±10 %), NaN without samples.
 */
export function variation(trace: readonly LimitPoint[], from: number, to: number): number {
  const xs = within(trace, from, to).map((p) => p.limit);
  if (xs.length === 0) return NaN;
  const m = median(xs);
  return Math.max(...xs.map((x) => Math.abs(x - m))) / m;
}

/** autoSize's moves (`resize` events) in (from, to] counted by reason: `grow 3, backoff 1`, or `none`. */
export function movesText(resizes: readonly { t: number; reason: string }[], from: number, to: number): string {
  const counts = new Map<string, number>();
  for (const r of resizes) if (r.t > from && r.t <= to) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  return counts.size ? [...counts].map(([reason, n]) => `${reason} ${n}`).join(', ') : 'none';
}

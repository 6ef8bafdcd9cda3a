import { SizingController } from '../../../src/sizing/controller.js';
import { autoSizeDefaults, type AutoSizeOptions } from '../../../src/sizing/options.js';
import { type Database, FluidPool, type Load } from './model.js';

/** A phase of a synthetic workload: this load on this database for `seconds`. */
export interface Phase {
  seconds: number;
  load: Load;
  db: Database;
}

/** The controller's limit at the end of every window, and the resize events, over the phases. */
export interface Run {
  /** `[second, limit]` after every window. */
  limits: [number, number][];
  reasons: string[];
  controller: SizingController;
}

/** Drives a controller directly (no pool, no clock) through `phases` on the fluid model. */
export function drive(
  phases: Phase[],
  opts: { lo?: number; hi?: number; jitter?: number; seed?: number } & AutoSizeOptions = {},
): Run {
  const { intervalMs, headroom, shrinkAfterMs } = { ...autoSizeDefaults, ...opts };
  const tuning = { intervalMs, headroom, shrinkAfterMs };
  const c = new SizingController(tuning, opts.lo ?? 1, opts.hi ?? 64);
  const model = new FluidPool(opts.jitter ?? 0.03, opts.seed);
  const limits: [number, number][] = [];
  const reasons: string[] = [];
  let t = 0;
  for (const p of phases) {
    const windows = Math.round((p.seconds * 1000) / tuning.intervalMs);
    for (let i = 0; i < windows; i++) {
      const change = c.observe(model.window(c.limit, p.load, p.db, tuning.intervalMs, t));
      t += tuning.intervalMs / 1000;
      if (change !== null) reasons.push(change.reason);
      limits.push([t, c.limit]);
    }
  }
  return { limits, reasons, controller: c };
}

/** The limits seen from second `from` (exclusive) to `to` (inclusive). */
export function between(run: Run, from: number, to: number): number[] {
  return run.limits.filter(([t]) => t > from && t <= to).map(([, l]) => l);
}

/** True when every value is within ±`share` of `of`. */
export function within(values: number[], of: number, share: number): boolean {
  return values.every((v) => Math.abs(v - of) <= share * of);
}

/** The first second from which every later limit stays within ±`share` of `final`, or null. */
export function settledAt(run: Run, from: number, to: number, final: number, share = 0.2): number | null {
  const span = run.limits.filter(([t]) => t > from && t <= to);
  let at: number | null = null;
  for (const [t, l] of span) {
    if (Math.abs(l - final) <= share * final) at ??= t;
    else at = null;
  }
  return at;
}

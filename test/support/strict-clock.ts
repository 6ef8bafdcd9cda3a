import { ManualClock } from './manual-clock.js';

/**
 * A `ManualClock` (time moves only in `advance(ms)`, which fires due timers in order and
 * lets promise callbacks run after each) that also refuses to run away: after `maxFires`
 * timers in one advance (default 100,000) it throws (a pool re-arming a timer that is
 * always due, a retry that never backs off), and `check` runs after every timer so a
 * test can stop at the first broken invariant instead of at the end of the advance.
 */
export class StrictClock extends ManualClock {
  constructor(options: { maxFires?: number; check?: () => void } = {}) {
    super({ ...options, maxFires: options.maxFires ?? 100_000 });
  }
}

import type { PoolStats } from './counters.js';
import type { PoolHealth } from './health.js';

/** One recommendation from `pool.advise()`. */
export interface Advice {
  /** How urgent: `'critical'` (acquires are timing out), `'warning'` (likely trouble), `'info'` (tuning). */
  severity: 'info' | 'warning' | 'critical';
  /** What was observed to be wrong. */
  issue: string;
  /** What to do about it. */
  suggestion: string;
  /** The option to change, if any. */
  option?: string;
  /** The suggested value for `option`. */
  value?: number;
  /** The figures the advice rests on. */
  evidence: string;
}

/** @internal The options advice looks at. */
export interface AdviceOptions {
  min: number;
  max: number;
  acquireTimeoutMs: number;
  maxLifetimeMs: number;
  leakDetectionMs: number;
}

/** Below this many acquires, sizing advice would be guesswork. */
export const MIN_SAMPLES = 50;
const HEADROOM = 1.5;

const round = (v: number): number => Math.round(v * 100) / 100;
const pct = (v: number): string => `${round(v * 100)} %`;

/**
 * @internal Recommendations from observed figures. Sizing uses Little's law: resources
 * needed ≈ arrival rate × mean use time, times 1.5 headroom. `h`: the pool's health, whose
 * timeout and create error rates (over the health window) advice uses as well.
 */
export function advise(s: PoolStats, o: AdviceOptions, h?: PoolHealth): Advice[] {
  const out: Advice[] = [];
  if (h !== undefined && h.bands.errorRate !== 'ok') {
    const live = s.size - s.creating;
    out.push({
      severity: h.bands.errorRate,
      issue: `creates failing: ${pct(h.errorRate)} of creates failed recently (${s.createErrors} create error(s) since stats reset, ${live} resource(s) alive)`,
      suggestion:
        'check that the backend is reachable and accepts the credentials, and whether it refuses connections for lack of room (its connection limit): then lower max, or share a budget between pools',
      evidence: `create error rate ${pct(h.errorRate)} over the health window; ${s.created} created, ${s.createErrors} failed since stats reset`,
    });
  }
  const seconds = s.sinceMs / 1000;
  // Arrivals, not completions: a saturated pool completes only max / useTime per second, so
  // counting served acquires alone would size the pool for the load it managed, not the load.
  const requests = s.acquired + s.timeouts + s.rejected + s.aborted + s.pending;
  const rate = seconds > 0 ? requests / seconds : 0;
  const busy = rate * (s.useTime.mean / 1000);
  const needed = Math.max(1, Math.ceil(busy * HEADROOM));
  const law = `arrival rate ${round(rate)}/s × mean use ${round(s.useTime.mean)} ms = ${round(busy)} busy on average; ×${HEADROOM} headroom ⇒ ${needed}`;
  const enough = s.acquired >= MIN_SAMPLES;

  if (s.timeouts > 0 || (enough && s.peakBorrowed >= o.max && s.waitTime.p99 > Math.max(5, s.useTime.mean))) {
    const value = Math.max(needed, Math.ceil(o.max * HEADROOM));
    // Timeouts long ago, with the recent rate in its ok band: a warning, not critical.
    const recent = h === undefined || h.bands.timeoutRate !== 'ok';
    out.push({
      severity: s.timeouts > 0 && recent ? 'critical' : 'warning',
      issue: `pool too small: ${s.timeouts} acquire timeout(s), p99 wait ${round(s.waitTime.p99)} ms, peak ${s.peakBorrowed}/${o.max} borrowed`,
      suggestion: `raise max to about ${value} (if the backend can take it), or shorten the time each lease is held`,
      option: 'max',
      value,
      evidence: law,
    });
  } else if (enough && s.sinceMs >= 60_000 && s.peakBorrowed * 2 <= o.max && needed * 2 <= o.max) {
    const value = Math.max(needed, s.peakBorrowed + 1, o.min);
    out.push({
      severity: 'info',
      issue: `pool larger than needed: peak ${s.peakBorrowed}/${o.max} borrowed over ${Math.round(seconds)} s`,
      suggestion: `lower max to about ${value}; smaller pools queue less at the backend`,
      option: 'max',
      value,
      evidence: law,
    });
  }
  if (enough && o.min > Math.max(needed, s.peakBorrowed)) {
    out.push({
      severity: 'info',
      issue: `min ${o.min} is above what the load needs (peak ${s.peakBorrowed} borrowed)`,
      suggestion: `lower min to ${needed}: idle resources above it cost the backend for nothing`,
      option: 'min',
      value: needed,
      evidence: law,
    });
  } else if (
    enough &&
    o.min < needed &&
    s.createTime.count > 0 &&
    s.waitTime.p99 >= s.createTime.p50 &&
    s.waitTime.p99 > 1
  ) {
    out.push({
      severity: 'info',
      issue: `callers wait for creates: p99 wait ${round(s.waitTime.p99)} ms vs create p50 ${round(s.createTime.p50)} ms with min ${o.min}`,
      suggestion: `raise min to ${needed} and await pool.ready() at start-up`,
      option: 'min',
      value: needed,
      evidence: law,
    });
  }
  if (s.leaks > 0) {
    out.push({
      severity: 'warning',
      issue: `${s.leaks} lease(s) held too long or never released`,
      suggestion:
        o.leakDetectionMs > 0
          ? 'release every lease: use pool.use(), `await using` or try/finally; see the leak reports for the acquire stacks'
          : 'set leakDetectionMs to capture the acquire stacks, and release every lease',
      option: o.leakDetectionMs > 0 ? undefined : 'leakDetectionMs',
      value: o.leakDetectionMs > 0 ? undefined : Math.max(1_000, Math.ceil(s.useTime.p99 * 10)),
      evidence: `${s.leaks} leak report(s); p99 use ${round(s.useTime.p99)} ms`,
    });
  }
  if (o.maxLifetimeMs > 0 && s.createTime.count > 0 && s.createTime.mean * 1_000 > o.maxLifetimeMs) {
    const value = Math.ceil(s.createTime.mean * 10_000);
    out.push({
      severity: 'warning',
      issue: `maxLifetimeMs ${o.maxLifetimeMs} is short for creates that take ${round(s.createTime.mean)} ms on average`,
      suggestion: `raise maxLifetimeMs to at least ${value} so creating stays under 0.01 % of a resource's life`,
      option: 'maxLifetimeMs',
      value,
      evidence: `${s.created} created, mean create ${round(s.createTime.mean)} ms`,
    });
  }
  if (s.waitTime.count > 0 && o.acquireTimeoutMs !== Infinity && s.waitTime.p99 * 2 > o.acquireTimeoutMs) {
    const value = Math.ceil(s.waitTime.p99 * 2);
    out.push({
      severity: 'warning',
      issue: `acquireTimeoutMs ${o.acquireTimeoutMs} is below twice the observed p99 wait (${round(s.waitTime.p99)} ms)`,
      suggestion: `raise acquireTimeoutMs to about ${value}, or grow the pool so waits shrink`,
      option: 'acquireTimeoutMs',
      value,
      evidence: `p99 wait ${round(s.waitTime.p99)} ms over ${s.waitTime.count} acquires`,
    });
  }
  return out;
}

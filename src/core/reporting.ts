import type { Counters } from '../stats/counters.js';
import { ErrorCode, PoolClosedError, PoolError, type PoolCounts } from './errors.js';
import type { Announcer } from './events.js';
import type { LeakReport } from './leak-detector.js';
import type { Clock } from './util/clock.js';

/** The phases whose failures are reported on the `error` event, and the code of each. */
const REPORTED_CODES = {
  create: ErrorCode.create,
  validate: ErrorCode.validation,
  reset: ErrorCode.reset,
  destroy: ErrorCode.destroy,
  use: ErrorCode.use,
} as const;

/** A phase whose failures the pool reports (on the `error` event) instead of throwing. */
export type ReportedPhase = keyof typeof REPORTED_CODES;

/** What a {@link Reporter} is made of. */
export interface ReporterOptions<T> {
  name: string;
  clock: Clock;
  counters: Counters;
  events: Announcer<T>;
  /** The pool's counts now, for error messages. */
  counts: () => PoolCounts;
}

/**
 * @internal How a pool tells about trouble: failures of factory hooks on the `error` event
 * (never thrown), leaked leases as events and process warnings, and the pool's name and
 * counts carried by every error it raises.
 */
export class Reporter<T> {
  readonly #name: string;
  readonly #clock: Clock;
  readonly #counters: Counters;
  readonly #events: Announcer<T>;
  readonly #counts: () => PoolCounts;
  /** When the last leak was first reported (health looks back at it). */
  lastLeakAt = -Infinity;

  constructor(options: ReporterOptions<T>) {
    this.#name = options.name;
    this.#clock = options.clock;
    this.#counters = options.counters;
    this.#events = options.events;
    this.#counts = options.counts;
  }

  /** The pool's counts now. */
  counts(): PoolCounts {
    return this.#counts();
  }

  /** The pool's name and counts, as every error carries them. */
  errorOptions(counts = this.#counts()): { pool: string; counts: PoolCounts } {
    return { pool: this.#name, counts };
  }

  /** The error of an acquire (or `ready()`) refused because the pool is closed. */
  closedError(): PoolClosedError {
    return new PoolClosedError(`pool "${this.#name}" is closed`, this.errorOptions());
  }

  /** Reports a failure of `phase` on the `error` event, only to those who listen; never thrown. */
  failure(e: unknown, phase: ReportedPhase, resource?: T): void {
    if (!this.#events.listens('error')) return;
    const error =
      e instanceof PoolError
        ? e
        : new PoolError(`${phase} failed: ${e instanceof Error ? e.message : String(e)}`, REPORTED_CODES[phase], {
            ...this.errorOptions(),
            phase,
            cause: e,
          });
    this.#events.failed(error, resource);
  }

  /** A leak report: counted once per lease (`first`), announced, and written as a process warning. */
  leak(report: LeakReport, first: boolean): void {
    if (first) {
      this.#counters.leaks++;
      this.lastLeakAt = this.#clock.now();
    }
    this.#events.leaked(report);
    const what =
      report.kind === 'held'
        ? `held for ${Math.round(report.heldMs)} ms`
        : report.kind === 'lost'
          ? 'garbage-collected without release'
          : `returned after ${Math.round(report.heldMs)} ms`;
    process.emitWarning(`lido: pool "${report.pool}" lease ${what}; acquired at:\n${report.stack}`, {
      code: 'LIDO_LEAK',
    });
  }
}

/**
 * Event counts over a sliding window, in buckets: acquires and timeouts, creates and
 * create errors, from which `health()` computes the timeout rate and the create error
 * rate. Recording costs one comparison and one increment (a rotation once per bucket
 * span); nothing is timed, no timer runs.
 */

/** Buckets per window: the window slides by `windowMs / BUCKETS`. */
export const BUCKETS = 12;

/** The counts over the window, and the two rates. */
export interface WindowRates {
  /** Acquires that got a resource within the window. */
  acquired: number;
  /** Acquires that timed out within the window. */
  timeouts: number;
  /** Creates that succeeded within the window. */
  created: number;
  /** Creates that failed within the window. */
  createErrors: number;
  /** timeouts / (acquired + timeouts); 0 without acquires. */
  timeoutRate: number;
  /** createErrors / (created + createErrors); 0 without creates. */
  errorRate: number;
}

/** @internal A pool's counts over the last `windowMs`, in {@link BUCKETS} buckets. */
export class RateWindow {
  readonly windowMs: number;
  readonly #span: number;
  readonly #acquired = new Float64Array(BUCKETS);
  readonly #timeouts = new Float64Array(BUCKETS);
  readonly #created = new Float64Array(BUCKETS);
  readonly #createErrors = new Float64Array(BUCKETS);
  /** The current bucket, and when it ends. */
  #i = 0;
  #ends: number;

  constructor(windowMs: number, now: number) {
    this.windowMs = windowMs;
    this.#span = windowMs / BUCKETS;
    this.#ends = now + this.#span;
  }

  /** An acquire got a resource at `now` (the hot path: a comparison and an increment). */
  acquired(now: number): void {
    if (now >= this.#ends) this.#advance(now);
    this.#acquired[this.#i]!++;
  }

  /** `n` acquires timed out at `now`. */
  timedOut(now: number, n: number): void {
    if (now >= this.#ends) this.#advance(now);
    this.#timeouts[this.#i]! += n;
  }

  /** A create succeeded at `now`. */
  created(now: number): void {
    if (now >= this.#ends) this.#advance(now);
    this.#created[this.#i]!++;
  }

  /** A create failed at `now`. */
  createFailed(now: number): void {
    if (now >= this.#ends) this.#advance(now);
    this.#createErrors[this.#i]!++;
  }

  /** The counts of the buckets within the window at `now`, and their rates. */
  rates(now: number): WindowRates {
    if (now >= this.#ends) this.#advance(now);
    const acquired = sum(this.#acquired);
    const timeouts = sum(this.#timeouts);
    const created = sum(this.#created);
    const createErrors = sum(this.#createErrors);
    return {
      acquired,
      timeouts,
      created,
      createErrors,
      timeoutRate: timeouts === 0 ? 0 : timeouts / (acquired + timeouts),
      errorRate: createErrors === 0 ? 0 : createErrors / (created + createErrors),
    };
  }

  /** Forgets every count (`resetStats()`). */
  reset(now: number): void {
    for (const a of [this.#acquired, this.#timeouts, this.#created, this.#createErrors]) a.fill(0);
    this.#i = 0;
    this.#ends = now + this.#span;
  }

  /** Moves to the bucket `now` falls in, emptying the buckets passed over (all of them after a full window). */
  #advance(now: number): void {
    const steps = Math.floor((now - this.#ends) / this.#span) + 1;
    if (steps >= BUCKETS) {
      this.reset(now);
      return;
    }
    for (let k = 0; k < steps; k++) {
      this.#i = (this.#i + 1) % BUCKETS;
      this.#acquired[this.#i] = this.#timeouts[this.#i] = this.#created[this.#i] = this.#createErrors[this.#i] = 0;
    }
    this.#ends += steps * this.#span;
  }
}

function sum(a: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]!;
  return s;
}

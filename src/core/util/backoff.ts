/**
 * Exponential backoff with "equal jitter": the n-th consecutive failure waits between
 * half and all of `min(cap, base * 2^(n-1))`, so retries never spin and never align.
 */
export class Backoff {
  failures = 0;
  /** No create may start before this time. */
  until = 0;

  constructor(
    readonly baseMs: number,
    readonly capMs: number,
    readonly random: () => number,
  ) {}

  /** Records a failure at `now`; returns the delay before the next attempt. */
  fail(now: number): number {
    this.failures++;
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.failures - 1, 30));
    const delay = ceiling / 2 + (this.random() * ceiling) / 2;
    this.until = now + delay;
    return delay;
  }

  /** Ends the current window early (the failure streak goes on). */
  forgive(): void {
    this.until = 0;
  }

  /** Records a success: the next failure starts from the base again. */
  succeed(): void {
    this.failures = 0;
    this.until = 0;
  }
}

import type { FleetSettings, Reply } from './types.js';

/**
 * How long a fair level announced while the fleet waits goes unenforced: first the idle
 * resources above `min` go back (at once, on the broadcast); holders shed down to the
 * level only if the fleet still waits after this.
 */
export const LEVEL_GRACE_MS = 200;

/**
 * @internal The bounds on what this process may hold of a fleet budget, and why: the
 * fair level while the fleet waits, the excess to shed after a lease was re-asserted, the
 * `onUnavailable` share while Redis is away, and a stop on creates while the lease is
 * being re-checked (after a freeze).
 */
export class FleetLimits {
  /** The max-min fair share announced while the fleet waits (Infinity: none), and since when. */
  #announced = Infinity;
  #since = 0;
  /** What to shed down to after a re-assertion found more held than fits. */
  shedTo = Infinity;
  /** The `onUnavailable` share while Redis is away. */
  outage = Infinity;
  /** The lease is being re-checked: no growth until it answers. */
  suspect = false;
  /** When Redis stopped answering (on the clock), or null. */
  downSince: number | null = null;
  /** The fleet as last seen: permits held, tickets queued, processes with a lease. */
  fleet = { used: 0, queued: 0, procs: 0 };
  /** Whether Redis ever answered (else no share is known while it is away). */
  seen = false;
  #timer: unknown = null;

  constructor(
    readonly s: FleetSettings,
    readonly target: string,
    /** Called when an announced level comes in force. */
    readonly onLevel: () => void = () => {},
  ) {}

  /**
   * A heartbeat tick `lateMs` late, the last renewal answered at `lastOk`: true when the
   * lease may be gone (a long silence, or a freeze), so that creates stop until it answers.
   */
  stale(lastOk: number, lateMs: number): boolean {
    const period = this.s.leaseMs / 3;
    if (this.s.clock.now() - lastOk < this.s.leaseMs - period / 2 && lateMs <= period) return false;
    this.suspect = true;
    return true;
  }

  /** Reads the fleet figures `[used, queued, processes, level]` at `at` in a reply. */
  read(r: Reply, at: number): void {
    if (r.length < at + 4) return;
    this.fleet = { used: Number(r[at]), queued: Number(r[at + 1]), procs: Number(r[at + 2]) };
    this.#announce(Number(r[at + 3]));
  }

  #announce(level: number): void {
    if (level < 0 || !Number.isFinite(level)) {
      this.#announced = Infinity;
      return;
    }
    if (this.#announced === Infinity) {
      this.#since = this.s.clock.now();
      if (this.#timer === null)
        this.#timer = this.s.clock.setTimer(
          () => {
            this.#timer = null;
            this.onLevel();
          },
          LEVEL_GRACE_MS,
          false,
        );
    }
    this.#announced = level;
  }

  /** Cancels the level's timer (the budget closes). */
  stop(): void {
    if (this.#timer !== null) this.s.clock.clearTimer(this.#timer);
    this.#timer = null;
  }

  /** The fair level in force: the one announced, once it has been for {@link LEVEL_GRACE_MS}. */
  get level(): number {
    return this.#announced !== Infinity && this.s.clock.now() - this.#since >= LEVEL_GRACE_MS
      ? this.#announced
      : Infinity;
  }

  /** Milliseconds until an announced level comes in force, or null when none is pending. */
  pendingMs(): number | null {
    if (this.#announced === Infinity) return null;
    const left = LEVEL_GRACE_MS - (this.s.clock.now() - this.#since);
    return left > 0 ? left : null;
  }

  /** A message on the fleet's channel: true when it says a process waits (`w <pid> <level>`). */
  broadcast(message: string): boolean {
    if (message === 'e') {
      this.#announced = Infinity;
      this.fleet.queued = 0;
      return false;
    }
    if (!message.startsWith('w ')) return false;
    this.#announce(Number(message.slice(message.lastIndexOf(' ') + 1)));
    this.fleet.queued = Math.max(1, this.fleet.queued);
    return true;
  }

  /** Redis stopped answering at `now`: returns the share the policy allows (0 if the fleet was never seen). */
  down(now: number): number {
    this.suspect = false;
    this.downSince = now;
    const share = this.seen ? Math.floor(this.s.max / Math.max(1, this.fleet.procs)) : 0;
    this.outage = this.s.onUnavailable === 'share' ? share : Infinity;
    return share;
  }

  /** Redis answered a renewal: returns since when it was away, or null. */
  up(): number | null {
    const since = this.downSince;
    this.seen = true;
    this.suspect = false;
    this.downSince = null;
    this.outage = Infinity;
    return since;
  }

  /** Most permits the pools may hold together now, given `used` lent to them. */
  limit(used: number): number {
    const limit = Math.min(this.level, this.shedTo, this.outage);
    return this.suspect ? Math.min(limit, used) : limit;
  }

  /** Why the budget degrades its pools now, or null. */
  describe(now: number): string | null {
    const name = `budget "${this.s.name}"`;
    if (this.downSince !== null) {
      const policy =
        this.s.onUnavailable === 'block'
          ? 'no new creates'
          : `this process keeps to ${this.outage === Infinity ? 0 : this.outage} of ${this.s.max}`;
      return `${name}: Redis at ${this.target} unreachable for ${Math.round(now - this.downSince)} ms (onUnavailable: ${this.s.onUnavailable}: ${policy})`;
    }
    if (this.shedTo !== Infinity) return `${name}: lease lost or short; shedding down to ${this.shedTo} permit(s)`;
    if (this.suspect) return `${name}: re-checking the lease`;
    return null;
  }
}

import type { FleetSettings, Reply } from './types.js';

/**
 * @internal The bounds on what this process may hold of a fleet budget, and why: the
 * fair level while the fleet waits, the excess to shed after a lease was re-asserted, the
 * `onUnavailable` share while Redis is away, and a stop on creates while the lease is
 * being re-checked (after a freeze).
 */
export class FleetLimits {
  /** Max-min fair share announced while the fleet waits. */
  level = Infinity;
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

  constructor(
    readonly s: FleetSettings,
    readonly target: string,
  ) {}

  /** Reads the fleet figures `[used, queued, processes, level]` at `at` in a reply. */
  read(r: Reply, at: number): void {
    if (r.length < at + 4) return;
    this.fleet = { used: Number(r[at]), queued: Number(r[at + 1]), procs: Number(r[at + 2]) };
    const level = Number(r[at + 3]);
    this.level = level >= 0 ? level : Infinity;
  }

  /** A message on the fleet's channel: true when it says a process waits (`w <pid> <level>`). */
  broadcast(message: string): boolean {
    if (message === 'e') {
      this.level = Infinity;
      this.fleet.queued = 0;
      return false;
    }
    if (!message.startsWith('w ')) return false;
    const level = Number(message.slice(message.lastIndexOf(' ') + 1));
    this.level = level >= 0 ? level : Infinity;
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

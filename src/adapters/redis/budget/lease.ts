import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Arbiter, PermitSource } from '../../../budget/arbiter.js';
import type { Clock } from '../../../core/util/clock.js';
import { type BudgetConnections, runScript } from './connection.js';
import { budgetKeys } from './script.js';

/** What a {@link FleetLease} tells its budget. */
export interface FleetHooks {
  /** Redis stopped answering: the `onUnavailable` policy now applies. */
  unavailable(cause: unknown, share: number): void;
  /** Redis answers again; the lease is re-asserted. */
  available(awayMs: number): void;
  /** The lease was gone (or short): `excess` permits are being shed. */
  lost(excess: number, renewed: boolean): void;
}

/** Settings of a {@link FleetLease}. */
export interface FleetSettings {
  name: string;
  max: number;
  leaseMs: number;
  onUnavailable: 'share' | 'block';
  clock: Clock;
  /** Bound on each Redis call. */
  timeoutMs: number;
}

type Reply = (number | string)[];

/**
 * @internal This process's lease on a fleet budget in Redis: the source of an
 * {@link Arbiter}'s permits. One `acquire` per permit wanted (granted at once, or a
 * ticket in the fleet's queue, granted later by whoever frees a permit and announced on
 * this process's channel); permits given back are released in one call per tick. A
 * heartbeat renews the lease every `leaseMs / 3` and reconciles what Redis counts with
 * what the process holds: grants whose message was missed, a lease that expired (the
 * process was frozen) or vanished (Redis restarted empty) and is asserted again, the
 * excess then shed. While Redis does not answer, `onUnavailable` decides.
 */
export class FleetLease implements PermitSource {
  arbiter!: Arbiter;
  readonly pid = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  readonly #keys: string[];
  readonly #channel: string;
  readonly #own: string;
  #fence = 0;
  #seq = 0;
  /** Tickets sent and not yet resolved (granted, cancelled, or dropped with the lease). */
  readonly #tickets = new Set<string>();
  #wanted = 0;
  #releasing = 0;
  #flushing = false;
  #fleet = { used: 0, queued: 0, procs: 0 };
  #level = Infinity;
  #shedTo = Infinity;
  #outage = Infinity;
  #suspect = false;
  #downSince: number | null = null;
  #seen = false;
  #renewing: Promise<void> | null = null;
  #again = false;
  #grantsMeanwhile = 0;
  #lastOk = -Infinity;
  #timer: unknown = null;
  #first: unknown = null;
  #closed = false;
  readonly #started: Promise<void>;
  #start!: () => void;

  constructor(
    readonly s: FleetSettings,
    readonly conn: BudgetConnections,
    readonly hooks: FleetHooks,
  ) {
    const k = budgetKeys(s.name);
    this.#keys = k.keys;
    this.#channel = conn.keyPrefix + k.channel;
    this.#own = `${this.#channel}:${this.pid}`;
    this.#started = new Promise((resolve) => (this.#start = resolve));
  }

  /** Subscribes, registers the lease, starts the heartbeat. */
  start(): void {
    const sub = this.conn.subscriber;
    sub.on('message', (channel: string, message: string) => this.#onMessage(channel, message));
    // After a reconnect: messages may have been missed, the lease may have expired.
    sub.on('ready', () => void this.renew());
    this.conn.commands.on('ready', () => void this.renew());
    sub.subscribe(this.#channel, this.#own).catch(() => {});
    // A connection still opening would fail the first call: its 'ready' renews; the
    // timer, in case it never gets there, finds Redis unreachable.
    if (this.conn.commands.status === 'ready') void this.renew();
    else this.#first = this.s.clock.setTimer(() => void this.renew(), this.s.timeoutMs, false);
    this.#arm();
  }

  /** Resolves once the first renewal settled (registered, or found Redis unreachable). */
  ready(): Promise<void> {
    return this.#started;
  }

  get fence(): number {
    return this.#fence;
  }

  get unavailableSince(): number | null {
    return this.#downSince;
  }

  // ---- PermitSource --------------------------------------------------------------

  want(n: number): void {
    this.#wanted = n;
    this.#pump();
  }

  returned(): boolean {
    this.#release(1, this.arbiter.used + this.arbiter.available);
    return false;
  }

  spare(n: number): boolean {
    this.#release(n, this.arbiter.used + this.arbiter.available - n);
    return false;
  }

  fleetHeld(): number {
    return this.#fleet.used;
  }

  health(): string | null {
    const name = `budget "${this.s.name}"`;
    if (this.#downSince !== null) {
      const policy =
        this.s.onUnavailable === 'block'
          ? 'no new creates'
          : `this process keeps to ${this.#outage === Infinity ? 0 : this.#outage} of ${this.s.max}`;
      return `${name}: Redis at ${this.conn.target} unreachable for ${Math.round(this.s.clock.now() - this.#downSince)} ms (onUnavailable: ${this.s.onUnavailable}: ${policy})`;
    }
    if (this.#shedTo !== Infinity) return `${name}: lease lost or short; shedding down to ${this.#shedTo} permit(s)`;
    if (this.#suspect) return `${name}: re-checking the lease`;
    return null;
  }

  thaw(): Promise<void> {
    this.#suspect = true;
    this.#apply();
    return this.renew();
  }

  // ---- lease -----------------------------------------------------------------------

  /** Renews (or re-asserts) the lease and reconciles; resolves when done, never rejects. */
  renew(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#renewing !== null) {
      this.#again = true;
      return this.#renewing;
    }
    this.#flush();
    const held = this.arbiter.used + this.arbiter.available;
    const listed = [...this.#tickets];
    this.#grantsMeanwhile = 0;
    this.#renewing = this.#call('renew', held, this.#fence, ...listed)
      .then(
        (r) => this.#renewed(r, held, listed),
        (e) => this.#unreachable(e),
      )
      .finally(() => {
        this.#renewing = null;
        this.#start();
        if (this.#again && !this.#closed) {
          this.#again = false;
          void this.renew();
        } else this.#pump();
      });
    return this.#renewing;
  }

  #renewed(r: Reply, sent: number, listed: string[]): void {
    const [status, fence, , nh, excess] = r.map(Number);
    const wasDown = this.#downSince;
    const lost = status === 2 && this.#fence !== 0;
    this.#fence = fence;
    this.#seen = true;
    this.#lastOk = this.s.clock.now();
    this.#suspect = false;
    this.#downSince = null;
    this.#outage = Infinity;
    let granted = 0;
    for (let i = 0; i < listed.length; i++) {
      if (!this.#tickets.has(listed[i])) continue;
      // A new lease: the old one's tickets are gone. Otherwise a ticket out of the queue was granted.
      if (status === 2 || Number(r[9 + i]) === 0) this.#tickets.delete(listed[i]);
      if (status === 1 && Number(r[9 + i]) === 0) granted++;
    }
    this.#figures(r, 5);
    // Grants whose message was missed (or whose acquire timed out) count as held: adopt them.
    const missed = Math.max(0, nh - sent - this.#grantsMeanwhile - granted);
    if (granted + missed > 0) this.arbiter.supply(granted + missed);
    if (excess > 0) this.#shedTo = Math.max(0, this.arbiter.used + this.arbiter.available - excess);
    if (wasDown !== null) this.hooks.available(this.s.clock.now() - wasDown);
    if (lost || excess > 0) this.hooks.lost(excess, lost);
    this.#apply();
  }

  #pump(): void {
    if (this.#closed) return;
    if (this.#downSince !== null) {
      if (this.s.onUnavailable === 'share') {
        const room = this.#outage - this.arbiter.used - this.arbiter.available;
        const k = Math.min(this.#wanted, room);
        if (k > 0) this.arbiter.supply(k);
      }
      return;
    }
    if (this.#fence === 0 || this.#renewing !== null) return;
    const extra = this.#tickets.size - this.#wanted;
    if (extra < 0) for (let i = 0; i < -extra; i++) this.#acquire();
    else if (extra > 0) this.#cancel([...this.#tickets].slice(-extra));
  }

  #acquire(): void {
    const t = `${this.pid}:${++this.#seq}`;
    this.#tickets.add(t);
    this.#call('acquire', t).then(
      (r) => {
        this.#figures(r, 1);
        const status = Number(r[0]);
        if (status === 0) return this.#lost(t);
        // Resolved meanwhile (granted by message, or dropped with an outage or a new lease).
        if (!this.#tickets.has(t)) return;
        if (status === 1) {
          this.#tickets.delete(t);
          this.arbiter.supply(1);
        } else this.#pump();
      },
      (e) => {
        this.#tickets.delete(t);
        this.#unreachable(e);
      },
    );
  }

  #cancel(tickets: string[]): void {
    for (const t of tickets) this.#tickets.delete(t);
    this.#call('cancel', ...tickets).then(
      (r) => {
        this.#figures(r, 1);
        if (Number(r[0]) === 0) return this.#lost(null);
        // Granted before the cancel arrived: held now, given back if nobody wants it.
        let granted = 0;
        for (let i = 0; i < tickets.length; i++) if (Number(r[5 + i]) === 0) granted++;
        if (granted > 0) this.arbiter.supply(granted);
      },
      (e) => this.#unreachable(e),
    );
  }

  /** `n` permits leave this process's hand; `after`: what it holds then. */
  #release(n: number, after: number): void {
    this.#releasing += n;
    if (this.#shedTo !== Infinity && after <= this.#shedTo) {
      this.#shedTo = Infinity;
      queueMicrotask(() => this.#apply());
    }
    if (this.#flushing) return;
    this.#flushing = true;
    queueMicrotask(() => this.#flush());
  }

  /** Sends the permits given back since the last flush, in one call. */
  #flush(): void {
    this.#flushing = false;
    const n = this.#releasing;
    this.#releasing = 0;
    // While Redis is away nothing is sent: the lease is re-asserted with what is held.
    if (n === 0 || this.#downSince !== null || this.#fence === 0 || this.#closed) return;
    this.#call('release', n).then(
      (r) => {
        this.#figures(r, 1);
        if (Number(r[0]) === 0) this.#lost(null);
      },
      (e) => this.#unreachable(e),
    );
  }

  #lost(ticket: string | null): void {
    if (ticket !== null) this.#tickets.delete(ticket);
    this.#suspect = true;
    this.#apply();
    void this.renew();
  }

  #unreachable(cause: unknown): void {
    if (this.#closed) return;
    this.#tickets.clear();
    // The policy decides from now on, not a lease nobody can check.
    this.#suspect = false;
    if (this.#downSince === null) {
      this.#downSince = this.s.clock.now();
      const share = this.#seen ? Math.floor(this.s.max / Math.max(1, this.#fleet.procs)) : 0;
      this.#outage = this.s.onUnavailable === 'share' ? share : Infinity;
      this.hooks.unavailable(cause, this.#outage);
    }
    this.#apply();
    this.#pump();
  }

  #onMessage(channel: string, message: string): void {
    if (channel === this.#own && message.startsWith('g ')) {
      const t = message.slice(2);
      if (!this.#tickets.delete(t)) return;
      if (this.#renewing !== null) this.#grantsMeanwhile++;
      this.arbiter.supply(1);
    } else if (channel === this.#channel) {
      if (message.startsWith('w ')) {
        const level = Number(message.slice(message.lastIndexOf(' ') + 1));
        this.#level = level >= 0 ? level : Infinity;
        this.#fleet.queued = Math.max(1, this.#fleet.queued);
        this.#apply();
        // Someone waits: idle resources above min go back to the fleet now.
        this.arbiter.giveBackAll();
      } else if (message === 'e') {
        this.#level = Infinity;
        this.#fleet.queued = 0;
        this.#apply();
      }
    }
  }

  /** Reads `[used, queued, processes, level]` at `at` in a reply. */
  #figures(r: Reply, at: number): void {
    if (r.length < at + 4) return;
    this.#fleet = { used: Number(r[at]), queued: Number(r[at + 1]), procs: Number(r[at + 2]) };
    const level = Number(r[at + 3]);
    this.#level = level >= 0 ? level : Infinity;
    this.#apply();
  }

  #apply(): void {
    const a = this.arbiter;
    let limit = Math.min(this.#level, this.#shedTo, this.#outage);
    if (this.#suspect) limit = Math.min(limit, a.used);
    a.setLimit(limit);
  }

  #call(op: string, ...args: (string | number)[]): Promise<Reply> {
    const s = this.s;
    const argv = [op, this.pid, this.#fence, s.leaseMs, s.max, this.#channel, ...args];
    return runScript(this.conn.commands, this.#keys, argv, s.clock, s.timeoutMs) as Promise<Reply>;
  }

  /** The heartbeat: renew every `leaseMs / 3`; a late tick means the lease may be gone, so creates stop until it answers. */
  #arm(): void {
    const period = this.s.leaseMs / 3;
    const due = this.s.clock.now() + period;
    this.#timer = this.s.clock.setTimer(
      () => {
        if (this.#closed) return;
        const now = this.s.clock.now();
        if (now - this.#lastOk >= this.s.leaseMs - period / 2 || now - due > period) {
          this.#suspect = true;
          this.#apply();
        }
        // The bounded fallback for a missed 'w': while the fleet waits, idle above min goes back.
        if (this.#fleet.queued > 0) this.arbiter.giveBackAll();
        void this.renew();
        this.#arm();
      },
      period,
      false,
    );
  }

  /** Stops the heartbeat and leaves the fleet (what this process holds returns at once). Bounded. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) this.s.clock.clearTimer(this.#timer);
    if (this.#first !== null) this.s.clock.clearTimer(this.#first);
    this.#start();
    if (this.#fence !== 0 && this.#downSince === null) await this.#call('leave').catch(() => {});
  }
}

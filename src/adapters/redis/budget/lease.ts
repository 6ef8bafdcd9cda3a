import type { Arbiter, PermitSource } from '../../../budget/arbiter.js';
import { FleetCalls } from './calls.js';
import type { BudgetConnections } from './connection.js';
import { FleetLimits } from './limits.js';
import { Ticker } from './ticker.js';
import type { FleetHooks, FleetSettings, Reply } from './types.js';

/**
 * @internal This process's lease on a fleet budget, the source of an {@link Arbiter}'s
 * permits: one `acquire` per permit wanted (granted at once, or a ticket granted later by
 * whoever frees a permit, announced on this process's channel); permits given back go in
 * one `release` per tick. A heartbeat renews the lease every `leaseMs / 3` and reconciles:
 * grants whose message was missed are adopted, a lease found gone (a freeze, Redis
 * restarted empty) is asserted again and the excess shed. Redis away: `onUnavailable`.
 */
export class FleetLease extends FleetCalls implements PermitSource {
  arbiter!: Arbiter;
  #seq = 0;
  /** Tickets sent and not yet resolved (granted, cancelled, or dropped with the lease). */
  readonly #tickets = new Set<string>();
  #wanted = 0;
  #releasing = 0;
  #flushing = false;
  readonly #limits: FleetLimits;
  #renewing: Promise<void> | null = null;
  #again = false;
  #grantsMeanwhile = 0;
  #lastOk = -Infinity;
  readonly #heartbeat: Ticker;
  readonly #giveBack: Ticker;
  #first: unknown = null;
  #closed = false;
  /** Resolves once the first renewal settled (registered, or found Redis unreachable). */
  readonly started: Promise<void>;
  #start!: () => void;

  constructor(
    s: FleetSettings,
    conn: BudgetConnections,
    readonly hooks: FleetHooks,
  ) {
    super(s, conn);
    this.started = new Promise((resolve) => (this.#start = resolve));
    // A fair level comes in force after its grace: the pools' limit follows.
    this.#limits = new FleetLimits(s, conn.target, () => this.#apply());
    this.#heartbeat = new Ticker(s.clock, s.leaseMs / 3, (late) => this.#beat(late));
    // While the fleet waits, idle resources above min go back within this period, also
    // those that went idle after the waiter's broadcast. A local check, no Redis call.
    this.#giveBack = new Ticker(s.clock, 250, () => {
      if (this.#limits.fleet.queued > 0) this.arbiter.giveBackAll();
      else this.#giveBack.stop();
    });
  }

  /** Subscribes, registers the lease, starts the heartbeat. */
  start(): void {
    const sub = this.conn.subscriber;
    sub.on('message', (channel: string, message: string) => this.#onMessage(channel, message));
    // After a reconnect: messages may have been missed, the lease may have expired.
    sub.on('ready', () => void this.renew());
    this.conn.commands.on('ready', () => void this.renew());
    sub.subscribe(this.channel, this.own).catch(() => {});
    // A connection still opening: its 'ready' renews (the timer, if it never gets there).
    if (this.conn.commands.status === 'ready') void this.renew();
    else this.#first = this.s.clock.setTimer(() => void this.renew(), 2 * this.s.timeoutMs, false);
    this.#heartbeat.start();
  }

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
    return this.#limits.fleet.used;
  }

  health(): string | null {
    return this.#limits.describe(this.s.clock.now());
  }

  thaw(): Promise<void> {
    this.#limits.suspect = true;
    this.#apply();
    return this.renew();
  }

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
    this.#renewing = this.call('renew', held, this.fence, ...listed)
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
    const limits = this.#limits;
    const wasDown = limits.up();
    const lost = status === 2 && this.fence !== 0;
    this.fence = fence;
    this.#lastOk = this.s.clock.now();
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
    if (excess > 0) limits.shedTo = Math.max(0, this.arbiter.used + this.arbiter.available - excess);
    if (wasDown !== null) this.hooks.available(this.s.clock.now() - wasDown);
    if (lost || excess > 0) this.hooks.lost(excess, lost);
    this.#apply();
  }

  #pump(): void {
    if (this.#closed) return;
    if (this.#limits.downSince !== null) {
      if (this.s.onUnavailable === 'share') {
        const room = this.#limits.outage - this.arbiter.used - this.arbiter.available;
        const k = Math.min(this.#wanted, room);
        if (k > 0) this.arbiter.supply(k);
      }
      return;
    }
    if (this.fence === 0 || this.#renewing !== null) return;
    const extra = this.#tickets.size - this.#wanted;
    if (extra < 0) for (let i = 0; i < -extra; i++) this.#acquire();
    else if (extra > 0) this.#cancel([...this.#tickets].slice(-extra));
  }

  #acquire(): void {
    const t = `${this.pid}:${++this.#seq}`;
    this.#tickets.add(t);
    this.call('acquire', t).then(
      (r) => {
        this.#figures(r, 1);
        const status = Number(r[0]);
        if (status === 0) return this.#lost(t);
        // Resolved meanwhile (granted by message, or dropped with an outage or a new lease).
        if (!this.#tickets.has(t)) return;
        if (status === 1) {
          this.#tickets.delete(t);
          this.#got(1);
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
    this.call('cancel', ...tickets).then(
      (r) => {
        this.#figures(r, 1);
        if (Number(r[0]) === 0) return this.#lost(null);
        // Granted before the cancel arrived: held now, given back if nobody wants it.
        let granted = 0;
        for (let i = 0; i < tickets.length; i++) if (Number(r[5 + i]) === 0) granted++;
        if (granted > 0) this.#got(granted);
      },
      (e) => this.#unreachable(e),
    );
  }

  /** `n` permits leave this process's hand; `after`: what it holds then. */
  #release(n: number, after: number): void {
    this.#releasing += n;
    if (this.#limits.shedTo !== Infinity && after <= this.#limits.shedTo) {
      this.#limits.shedTo = Infinity;
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
    if (n === 0 || this.#limits.downSince !== null || this.fence === 0 || this.#closed) return;
    this.call('release', n).then(
      (r) => {
        this.#figures(r, 1);
        if (Number(r[0]) === 0) this.#lost(null);
      },
      (e) => this.#unreachable(e),
    );
  }

  /**
   * Permits granted (an acquire's reply, a cancel that came too late, a grant message).
   * While a renewal is out they are counted apart: the renewal's count may include them,
   * and they must not be adopted twice.
   */
  #got(n: number): void {
    if (this.#renewing !== null) this.#grantsMeanwhile += n;
    this.arbiter.supply(n);
  }

  #lost(ticket: string | null): void {
    if (ticket !== null) this.#tickets.delete(ticket);
    this.#limits.suspect = true;
    this.#apply();
    void this.renew();
  }

  #unreachable(cause: unknown): void {
    if (this.#closed) return;
    this.#tickets.clear();
    // From now on the policy decides, not a lease nobody can check.
    if (this.#limits.downSince === null) this.hooks.unavailable(cause, this.#limits.down(this.s.clock.now()));
    this.#apply();
    this.#pump();
  }

  #onMessage(channel: string, message: string): void {
    if (channel === this.own && message.startsWith('g ')) {
      const t = message.slice(2);
      if (this.#tickets.delete(t)) this.#got(1);
    } else if (channel === this.channel) {
      const waits = this.#limits.broadcast(message);
      this.#apply();
      if (!waits) return;
      // Someone waits: idle resources above min go back to the fleet now.
      this.arbiter.giveBackAll();
      this.#giveBack.start();
    }
  }

  /** Reads the fleet figures at `at` in a reply. */
  #figures(r: Reply, at: number): void {
    this.#limits.read(r, at);
    if (this.#limits.fleet.queued > 0) this.#giveBack.start();
    this.#apply();
  }

  #apply(): void {
    this.arbiter.setLimit(this.#limits.limit(this.arbiter.used));
  }

  /** A heartbeat tick: a late one (a freeze) or a long silence means the lease may be gone: no creates until it answers. */
  #beat(lateMs: number): void {
    if (this.#closed) return;
    if (this.#limits.stale(this.#lastOk, lateMs)) this.#apply();
    void this.renew();
  }

  /** Stops the heartbeat and leaves the fleet (what this process holds returns at once). Bounded. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#heartbeat.stop();
    this.#giveBack.stop();
    if (this.#first !== null) this.s.clock.clearTimer(this.#first);
    this.#limits.stop();
    this.#start();
    if (this.fence !== 0 && this.#limits.downSince === null) await this.call('leave').catch(() => {});
  }
}

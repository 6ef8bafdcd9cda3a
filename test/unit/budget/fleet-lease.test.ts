import { Secrets } from '../../../src/core/util/redact.js';
import { describe, expect, it } from 'vitest';
import type { BudgetConnections, BudgetRedisClient } from '../../../src/adapters/redis/budget/connection.js';
import { FleetLease } from '../../../src/adapters/redis/budget/lease.js';
import { Arbiter } from '../../../src/budget/arbiter.js';
import { FakeMember } from '../../support/budget-member.js';
import { ManualClock, flush } from '../../support/manual-clock.js';

/** One script call the test answers by hand, in any order it likes. */
interface Call {
  op: string;
  argv: (string | number)[];
  reply(r: (number | string)[]): void;
  fail(e: unknown): void;
}

/** A Redis client whose script calls wait for the test; a subscriber whose messages the test sends. */
function fakeRedis() {
  const calls: Call[] = [];
  const listeners = new Map<string, ((...a: any[]) => void)[]>();
  const sub: BudgetRedisClient = {
    status: 'ready',
    options: {},
    call: () => Promise.resolve(null),
    duplicate: () => sub,
    subscribe: () => Promise.resolve(2),
    on(event, fn) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
      return sub;
    },
    removeListener: () => sub,
    disconnect: () => {},
  };
  const commands: BudgetRedisClient = {
    ...sub,
    call(_cmd: string, ...args: (string | number)[]) {
      // EVALSHA sha 4 k1 k2 k3 k4 op pid fence leaseMs max channel ...
      const argv = args.slice(6);
      return new Promise((resolve, reject) => calls.push({ op: String(argv[0]), argv, reply: resolve, fail: reject }));
    },
    on: () => commands,
  };
  const conn: BudgetConnections = {
    commands,
    subscriber: sub,
    ownsCommands: false,
    target: 'h:1',
    secrets: new Secrets(),
    keyPrefix: '',
  };
  const publish = (channel: string, message: string): void => {
    for (const fn of listeners.get('message') ?? []) fn(channel, message);
  };
  return { calls, conn, publish };
}

function setup(max = 10) {
  const clock = new ManualClock();
  const redis = fakeRedis();
  const events: string[] = [];
  const settings = { name: 'db', max, leaseMs: 3_000, onUnavailable: 'share' as const, clock, timeoutMs: 500 };
  const lease = new FleetLease(settings, redis.conn, {
    unavailable: (_e, share) => events.push(`unavailable ${share}`),
    available: () => events.push('available'),
    lost: (excess, renewed) => events.push(`lost ${excess} ${renewed}`),
  });
  const arbiter = new Arbiter('db', max, lease, 0, false);
  lease.arbiter = arbiter;
  const budget = { name: 'db', max, join: (m: never) => arbiter.join(m) } as never;
  const member = new FakeMember('pool', budget, clock);
  lease.start();
  return { clock, redis, lease, arbiter, member, events };
}

/** Registers: answers the first renewal with a new lease (fence 1). */
async function register(s: ReturnType<typeof setup>, procs = 1): Promise<void> {
  const first = s.redis.calls.shift()!;
  expect(first.op).toBe('renew');
  first.reply([2, 1, 0, 0, 0, 0, 0, procs, -1]);
  await flush();
}

describe('FleetLease', () => {
  it('counts a grant that arrives while a renewal is out once, not again from the renewal', async () => {
    const s = setup();
    await register(s);
    s.member.waiters = 2;
    const first = s.member.createFor();
    const second = s.member.createFor();
    await flush();
    const [a1, a2] = s.redis.calls.splice(0);
    expect([a1.op, a2.op]).toEqual(['acquire', 'acquire']);
    const renewal = s.lease.renew();
    const r = s.redis.calls.shift()!;
    expect(r.op).toBe('renew');
    // Redis ran: acquire (granted), acquire (queued), renew. The replies come in that order.
    a1.reply([1, 1, 0, 1, -1]);
    a2.reply([2, 1, 1, 1, -1]);
    await flush();
    r.reply([1, 1, 1, 1, 0, 1, 1, 1, -1, 0, 1]);
    await renewal;
    await first;
    expect(s.member.account.held).toBe(1);
    expect(s.arbiter.used + s.arbiter.available).toBe(1);
    // The second take still waits for its ticket: no permit was counted twice.
    let done = false;
    void second.then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    s.redis.publish(`lido:budget:{db}:${s.lease.pid}`, `g ${String(a2.argv[6])}`);
    await second;
    expect(s.member.account.held).toBe(2);
  });

  it('adopts a grant whose message was lost at the next renewal, and ignores the message if it comes after', async () => {
    const s = setup();
    await register(s);
    s.member.waiters = 1;
    const take = s.member.createFor();
    await flush();
    const a = s.redis.calls.shift()!;
    a.reply([2, 10, 1, 2, 5]);
    await flush();
    const renewal = s.lease.renew();
    const r = s.redis.calls.shift()!;
    expect(r.argv.slice(-1)).toEqual([a.argv[6]]);
    // Granted meanwhile (the message never came): Redis counts 1 for this process.
    r.reply([1, 1, 1, 1, 0, 10, 0, 2, -1, 0]);
    await renewal;
    await take;
    expect(s.member.account.held).toBe(1);
    s.redis.publish(`lido:budget:{db}:${s.lease.pid}`, `g ${String(a.argv[6])}`);
    await flush();
    expect(s.arbiter.used + s.arbiter.available).toBe(1);
  });

  it("Redis away: 'share' lets the process create up to max / processes last seen, then re-asserts what it holds", async () => {
    const s = setup(12);
    await register(s, 3);
    s.member.waiters = 6;
    const takes = Array.from({ length: 6 }, () => s.member.createFor());
    await flush();
    for (const c of s.redis.calls.splice(0)) c.fail(new Error('connect ECONNREFUSED'));
    await flush();
    expect(s.events).toEqual(['unavailable 4']);
    await Promise.all(takes.slice(0, 4));
    expect(s.member.account.held).toBe(4);
    expect(s.lease.health()).toContain('unreachable');
    // Back: the renewal carries what the process holds; Redis had nothing.
    const renewal = s.lease.renew();
    const r = s.redis.calls.shift()!;
    expect(r.argv[6]).toBe(4);
    r.reply([2, 5, 0, 4, 0, 4, 0, 3, -1]);
    await renewal;
    expect(s.events).toEqual(['unavailable 4', 'available', 'lost 0 true']);
    expect(s.lease.health()).toBeNull();
  });

  it('sheds the excess when a re-asserted lease no longer fits, and stops creates while it re-checks', async () => {
    const s = setup(10);
    await register(s);
    s.member.waiters = 5;
    const takes = Array.from({ length: 5 }, () => s.member.createFor());
    await flush();
    for (const c of s.redis.calls.splice(0)) c.reply([1, 5, 0, 1, -1]);
    await Promise.all(takes);
    s.member.borrowed = 0;
    s.member.idle = 5;
    // A thaw: no growth until the lease answers; it was gone and 3 of 5 no longer fit.
    const thawed = s.member.account.thaw();
    expect(s.member.createNow()).toBe(false);
    const r = s.redis.calls.shift()!;
    expect(r.op).toBe('renew');
    r.reply([2, 7, 0, 5, 3, 13, 0, 2, -1]);
    await thawed;
    expect(s.events).toEqual(['lost 3 true']);
    expect(s.member.account.cap).toBe(2);
    expect(s.member.closing).toBe(3);
  });
});

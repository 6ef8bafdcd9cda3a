/**
 * A process of a fleet, for the budget tests: one `redisBudget` and one pool as the
 * budget sees it (a {@link FakeMember}), driven by JSON lines on stdin and reporting
 * JSON lines on stdout. Started by test/support/budget-fleet.ts.
 *
 * argv: JSON `{ url, name, max, leaseMs, onUnavailable, min }`.
 * stdin: `{ op: 'take', n }` (n creates for waiting acquires), `{ op: 'release', n }` (n
 * borrowed resources come back: idle, or closed above the cap), `{ op: 'close', n }`
 * (n idle resources closed), `{ op: 'stats' }`, `{ op: 'exit' }`.
 * stdout: `{ ev: 'ready' | 'got' | 'stats' | 'unavailable' | 'available' | 'lost', … }`.
 */
import { createInterface } from 'node:readline';
import { redisBudget } from '../../src/adapters/redis/index.js';
import { systemClock } from '../../src/core/util/clock.js';
import { FakeMember } from './budget-member.js';

const args = JSON.parse(process.argv[2]) as {
  url: string;
  name: string;
  max: number;
  leaseMs: number;
  onUnavailable?: 'share' | 'block';
  min?: number;
};

const out = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...o, at: Date.now() })}\n`);
};

const budget = redisBudget({
  redis: args.url,
  name: args.name,
  max: args.max,
  leaseMs: args.leaseMs,
  onUnavailable: args.onUnavailable ?? 'share',
});
budget.on('error', () => {});
budget.on('unavailable', (e, share) => out({ ev: 'unavailable', code: e.code, message: e.message, share }));
budget.on('available', (awayMs) => out({ ev: 'available', awayMs }));
budget.on('lost', (e, excess) => out({ ev: 'lost', code: e.code, excess }));

const member = new FakeMember('child', budget, systemClock, args.min ?? 0, 1);
let seq = 0;

function stats(): Record<string, unknown> {
  return {
    ev: 'stats',
    ...budget.stats(),
    idle: member.idle,
    borrowed: member.borrowed,
    closing: member.closing,
    cap: Number.isFinite(member.account.cap) ? member.account.cap : null,
    health: budget.health(),
  };
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as { op: string; n?: number };
  const n = cmd.n ?? 1;
  if (cmd.op === 'take') {
    for (let i = 0; i < n; i++) {
      const id = ++seq;
      member.waiters++;
      void member.createFor().then(
        () => {
          member.waiters--;
          out({ ev: 'got', id, held: member.account.held });
        },
        (e: Error) => out({ ev: 'failed', id, message: e.message }),
      );
    }
  } else if (cmd.op === 'release') {
    for (let i = 0; i < n && member.borrowed > 0; i++) member.release();
    out(stats());
  } else if (cmd.op === 'close') {
    member.giveBack(n);
    out(stats());
  } else if (cmd.op === 'stats') {
    out(stats());
  } else if (cmd.op === 'exit') {
    void budget.close().then(() => process.exit(0));
  }
});

// Ready once registered in the fleet (a first call may find the connection still opening).
void budget.ready().then(async () => {
  for (let i = 0; i < 200 && budget.fence === 0; i++) await new Promise((r) => setTimeout(r, 50));
  out({ ev: 'ready', pid: budget.processId, fence: budget.fence });
});

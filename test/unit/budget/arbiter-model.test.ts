import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arbiter, type PermitSource } from '../../../src/budget/arbiter.js';
import type { BudgetMember } from '../../../src/budget/budget.js';

/** A fixed cap, as a local budget's. */
const fixed: PermitSource = {
  want() {},
  returned: () => true,
  spare: () => true,
  fleetHeld: () => 0,
  health: () => null,
  thaw: () => Promise.resolve(),
};

type Op =
  | { kind: 'take'; who: number; wanted: boolean }
  | { kind: 'abort'; pick: number }
  | { kind: 'give'; who: number }
  | { kind: 'idle'; who: number }
  | { kind: 'limit'; to: number | null }
  | { kind: 'leave'; who: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('take' as const), who: fc.nat(2), wanted: fc.boolean() }),
  fc.record({ kind: fc.constant('abort' as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant('give' as const), who: fc.nat(2) }),
  fc.record({ kind: fc.constant('idle' as const), who: fc.nat(2) }),
  fc.record({ kind: fc.constant('limit' as const), to: fc.option(fc.nat(6)) }),
  fc.record({ kind: fc.constant('leave' as const), who: fc.nat(2) }),
);

describe('Arbiter (model)', () => {
  it('never lends more than max or its limit allows, conserves permits, and leaves no servable take waiting', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), async (max, ops) => {
        const arbiter = new Arbiter('m', max, fixed, max, true);
        // Members: idle resources they may close (all above min), closes settle synchronously.
        const idle = [0, 0, 0];
        const wanted = [0, 0, 0];
        const accounts = [0, 1, 2].map((i) => {
          const member: BudgetMember = {
            name: `p${i}`,
            demand: () => wanted[i],
            giveBack(n) {
              const k = Math.min(n, idle[i]);
              idle[i] -= k;
              for (let j = 0; j < k; j++) accounts[i].give();
              return k;
            },
            capChanged() {
              while (idle[i] > 0 && accounts[i].held > accounts[i].cap) {
                idle[i]--;
                accounts[i].give();
              }
            },
          };
          return arbiter.join(member);
        });
        const pending: { who: number; ac: AbortController; settled: boolean; wanted: boolean }[] = [];
        for (const o of ops) {
          const before = arbiter.used;
          if (o.kind === 'take') {
            const ac = new AbortController();
            const p = { who: o.who, ac, settled: false, wanted: o.wanted };
            if (o.wanted) wanted[o.who]++;
            pending.push(p);
            accounts[o.who].take(ac.signal).then(
              () => {
                p.settled = true;
                if (p.wanted) wanted[p.who]--;
              },
              () => {
                p.settled = true;
                if (p.wanted) wanted[p.who]--;
              },
            );
          } else if (o.kind === 'abort') {
            const open = pending.filter((p) => !p.settled);
            if (open.length > 0) open[o.pick % open.length].ac.abort(new Error('gave up'));
          } else if (o.kind === 'give') {
            if (accounts[o.who].held > idle[o.who]) accounts[o.who].give();
          } else if (o.kind === 'idle') {
            // A borrowed resource goes idle (it keeps its permit).
            if (accounts[o.who].held > idle[o.who]) idle[o.who]++;
          } else if (o.kind === 'limit') {
            arbiter.setLimit(o.to ?? Infinity);
          } else {
            accounts[o.who].leave();
          }
          await Promise.resolve();
          await Promise.resolve();
          const held = accounts.reduce((n, a) => n + a.held, 0);
          expect(held).toBe(arbiter.used);
          expect(arbiter.used + arbiter.available).toBe(max);
          expect(arbiter.used).toBeLessThanOrEqual(max);
          // Lowering the limit sheds; nothing is ever lent above it.
          if (arbiter.used > before) expect(arbiter.used).toBeLessThanOrEqual(arbiter.limit);
          for (const a of accounts) expect(a.held).toBeGreaterThanOrEqual(0);
          // No lost wake-up: a free permit within the limit and a take of a pool under its cap never coexist.
          const servable = pending.some(
            (p) =>
              !p.settled && accounts[p.who].held < accounts[p.who].cap && !(accounts[p.who] as { left: boolean }).left,
          );
          if (servable) expect(arbiter.available === 0 || arbiter.used >= arbiter.limit).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

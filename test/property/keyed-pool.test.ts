import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedPool, type Factory, type Lease } from '../../src/index.js';
import { flush, ManualClock } from '../support/manual-clock.js';
import { TestFactory, type Res } from '../support/test-factory.js';

type Op =
  | { t: 'acquire'; key: number; timeoutMs: number }
  | { t: 'release' | 'destroy' | 'abort'; i: number }
  | { t: 'advance'; ms: number }
  | { t: 'fail'; key: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('acquire' as const),
      key: fc.integer({ min: 0, max: 4 }),
      timeoutMs: fc.integer({ min: 20, max: 400 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('release' as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('destroy' as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('abort' as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 150 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('fail' as const), key: fc.integer({ min: 0, max: 4 }) }) },
);

const config = fc.record({
  maxTotal: fc.integer({ min: 1, max: 5 }),
  max: fc.integer({ min: 1, max: 3 }),
  min: fc.integer({ min: 0, max: 1 }),
  idlePoolTimeoutMs: fc.constantFrom(0, 100, 300),
});

describe('KeyedPool properties', () => {
  it('isolation, the global cap, no deadlock, every resource destroyed once', async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.array(op, { maxLength: 60 }), async (c, ops) => {
        const clock = new ManualClock();
        const factories = new Map<number, TestFactory[]>(); // a key's pool may be closed and made again
        const global = { live: 0, peak: 0 };
        const keyed = new KeyedPool<number, Res>({
          clock,
          maxTotal: c.maxTotal,
          idlePoolTimeoutMs: c.idlePoolTimeoutMs,
          perKey: { max: c.max, min: Math.min(c.min, c.maxTotal), createRetry: { baseMs: 1, capMs: 2 } },
          factory: (key): Factory<Res> => {
            const f = new TestFactory();
            factories.set(key, [...(factories.get(key) ?? []), f]);
            return {
              create: (signal) => {
                global.peak = Math.max(global.peak, ++global.live);
                return f.create(signal).catch((e) => {
                  global.live--;
                  throw e;
                });
              },
              destroy: (r) => {
                global.live--;
                return f.destroy(r);
              },
            };
          },
        });
        const failNext = new Set<number>();
        const ownerOf = (r: Res): number | undefined =>
          [...factories].find(([, fs]) => fs.some((f) => f.created.includes(r)))?.[0];
        const held: { key: number; lease: Lease<Res> }[] = [];
        const pending = new Set<{ ac: AbortController; done: boolean }>();

        const check = (): void => {
          expect(global.peak).toBeLessThanOrEqual(c.maxTotal);
          const seen = new Set<Res>();
          for (const h of held) {
            expect(ownerOf(h.lease.resource)).toBe(h.key); // isolation
            expect(seen.has(h.lease.resource)).toBe(false); // one resource, one lease
            seen.add(h.lease.resource);
          }
        };
        const acquire = (key: number, timeoutMs: number): Promise<unknown> => {
          if (failNext.delete(key)) for (const f of factories.get(key) ?? []) f.next('create', 'reject');
          const p = { ac: new AbortController(), done: false };
          pending.add(p);
          return keyed
            .acquire(key, { timeoutMs, signal: p.ac.signal })
            .then(
              (lease) => held.push({ key, lease }),
              () => {},
            )
            .finally(() => {
              p.done = true;
              pending.delete(p);
            });
        };

        for (const o of ops) {
          if (o.t === 'acquire') void acquire(o.key, o.timeoutMs);
          else if (o.t === 'release' && held.length > 0) held.splice(o.i % held.length, 1)[0].lease.release();
          else if (o.t === 'destroy' && held.length > 0)
            held.splice(o.i % held.length, 1)[0].lease.destroy(new Error('broken'));
          else if (o.t === 'abort' && pending.size > 0) [...pending][o.i % pending.size].ac.abort(new Error('aborted'));
          else if (o.t === 'advance') await clock.advance(o.ms);
          else if (o.t === 'fail') failNext.add(o.key);
          await flush();
          check();
        }

        // Nothing is held any more: every acquire still waiting is served at once (no deadlock, no lost room).
        for (const h of held.splice(0)) h.lease.release();
        for (let key = 0; key < 5; key++) void acquire(key, 10_000);
        for (let i = 0; i < 40 && pending.size > 0; i++) {
          for (const h of held.splice(0)) h.lease.release();
          await clock.advance(5);
        }
        expect(
          pending.size,
          `still waiting: ${JSON.stringify(keyed.stats(), (k, v) => (k === 'waitTime' || k === 'useTime' || k === 'createTime' ? undefined : v))}`,
        ).toBe(0);
        check();

        for (const h of held.splice(0)) h.lease.release();
        await keyed.close();
        expect(global.live).toBe(0);
        expect(keyed.stats()).toMatchObject({ live: 0, budgetWaiting: 0, owed: 0 });
        for (const fs of factories.values()) for (const f of fs) expect(f.allDestroyedOnce()).toBe(true);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300), timeout: 5_000 },
    );
  });
});

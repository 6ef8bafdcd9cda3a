/** 3. Timeout storm: one resource held, N waiters with a 100 ms acquire timeout. */
import { now, rounds, rowsOf, size, type Section } from '../lib.js';
import type { Subject } from '../pools.js';

const TIMEOUT_MS = 100;

/**
 * Enqueues n waiters with `enqueue`, counts their rejections:
 * [ms from the first deadline to all rejected, ms past the last deadline, ns per enqueue].
 */
async function storm(name: string, n: number, enqueue: () => Promise<unknown>): Promise<number[]> {
  let rejected = 0;
  let end = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const onReject = () => {
    if (++rejected === n) {
      end = now();
      done();
    }
  };
  const onResolve = () => {
    throw new Error(`${name}: a waiter got a resource that is held`);
  };
  const t0 = now();
  for (let i = 0; i < n; i++) enqueue().then(onResolve, onReject);
  const t1 = now();
  await all;
  return [end - (t0 + TIMEOUT_MS), end - (t1 + TIMEOUT_MS), ((t1 - t0) * 1e6) / n];
}

async function onPool(s: Subject, n: number): Promise<number[]> {
  const pool = s.make({ max: 1, acquireTimeoutMs: TIMEOUT_MS });
  const held = await pool.acquire();
  try {
    return await storm(s.name, n, () => pool.acquire());
  } finally {
    pool.release(held);
    await pool.close();
  }
}

/** The floor: one timer rejects every waiting promise with a fresh Error, no pool. */
function floor(n: number): Promise<number[]> {
  const rejects: ((e: Error) => void)[] = [];
  setTimeout(() => {
    for (const r of rejects) r(new Error(`acquire timed out after ${TIMEOUT_MS} ms`));
  }, TIMEOUT_MS);
  return storm('floor', n, () => new Promise((_, reject) => rejects.push(reject)));
}

/** `extras: false` leaves out the floor row (bench/compare.ts wants lido's figures alone). */
export async function timeoutStorm(subjects: Subject[], { extras = true } = {}): Promise<Section[]> {
  const n = size(100_000, 1_000);
  const entries = [
    ...subjects.filter((s) => !s.cycleOnly).map((s) => ({ ...s, run: () => onPool(s, n) })),
    ...(extras
      ? [{ name: 'one timer + new Error each (floor)', peer: false, headline: false, run: () => floor(n) }]
      : []),
  ];
  const figures = await rounds(entries, (e) => e.run(), { warmup: false, count: size(5, 1) });
  return [
    {
      id: 'storm',
      title: `3. Timeout storm (${n.toLocaleString('en')} waiters, ${TIMEOUT_MS} ms timeout, 1 resource held)`,
      columns: [
        { label: 'first deadline → all rejected', unit: 'ms', chart: true },
        { label: 'last deadline → all rejected', unit: 'ms' },
        { label: 'enqueue', unit: 'ns/waiter' },
      ],
      rows: rowsOf(entries, figures, 3),
      notes: [
        'Each library gets the same pool-wide timeout (lido `acquireTimeoutMs`, generic-pool and tarn `acquireTimeoutMillis`, pg-pool `connectionTimeoutMillis`).',
        'Deadlines are spread over the time it takes to enqueue the waiters, so "first deadline" includes that spread; "last deadline" is how late the last rejection comes.',
        'The floor row rejects plain promises from one timer with a fresh Error each (no pool): what any pool that gives every waiter its own error with a stack trace pays at least.',
      ],
    },
  ];
}

/** 4. Cancellation: N waiters withdrawn in random order. */
import { gc, now, rounds, rowsOf, shuffle, size, type Row, type Section } from '../lib.js';
import type { Cancellable, Subject } from '../pools.js';

/** Enqueues n cancellable waiters, cancels them in a fixed random order: ms until all rejected. */
async function cancelAll(name: string, n: number, make: () => Cancellable): Promise<number> {
  let rejected = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const onReject = () => {
    if (++rejected === n) done();
  };
  const onResolve = () => {
    throw new Error(`${name}: a cancelled waiter got a resource that is held`);
  };
  const waiters: Cancellable[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const w = make();
    w.promise.then(onResolve, onReject);
    waiters[i] = w;
  }
  const order = shuffle(Array.from({ length: n }, (_, i) => i));
  gc();
  const t0 = now();
  for (let i = 0; i < n; i++) waiters[order[i]].cancel();
  await all;
  return now() - t0;
}

/** One resource held, n waiters cancelled; null if the library cannot cancel a waiter. */
async function onPool(s: Subject, n: number, reason?: unknown): Promise<number | null> {
  const pool = s.make({ max: 1 });
  try {
    const cancellable = pool.cancellable;
    if (!cancellable) return null;
    const held = await pool.acquire();
    const ms = await cancelAll(s.name, n, () => cancellable(reason));
    pool.release(held);
    return ms;
  } finally {
    await pool.close();
  }
}

/** The floor: AbortController.abort(reason()) and one promise rejected with signal.reason, no pool. */
function bareSignal(reason: () => unknown): Cancellable {
  const ac = new AbortController();
  const { signal } = ac;
  const promise = new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );
  return { promise, cancel: () => ac.abort(reason()) };
}

/** The floor row's name: AbortSignal and one rejected promise, no pool. */
const FLOOR = 'AbortSignal alone (floor)';

/**
 * What the floor row means on the machine that ran: the fastest peer's time divided by
 * the floor's is about the best ratio a pool cancelled through AbortSignal can show there,
 * since every such pool pays the floor (a run's noise can put a pool a little either side
 * of it); and lido's time as a share of the floor's. Null when a figure is missing.
 */
export function ceilingNote(rows: readonly Row[]): string | null {
  const ms = (r: Row | undefined) => (r && typeof r.values[0] === 'number' ? r.values[0] : null);
  const peers = rows.filter((r) => r.peer && ms(r) !== null).sort((a, b) => ms(a)! - ms(b)!);
  const best = peers[0];
  const floor = ms(rows.find((r) => r.subject === FLOOR));
  const lido = ms(rows.find((r) => r.headline));
  if (!best || floor === null || lido === null || floor <= 0) return null;
  const ceiling = ms(best)! / floor;
  return `The floor alone is ×${ceiling.toFixed(2)} of ${best.subject} in this run: about the most that a pool cancelled through AbortSignal can show on the machine that ran; lido took ×${(lido / floor).toFixed(2)} of the floor's time.`;
}

/** `extras: false` leaves out the lido variants and the floor (bench/compare.ts wants lido's figures alone). */
export async function cancellation(subjects: Subject[], { extras = true } = {}): Promise<Section[]> {
  const n = size(100_000, 1_000);
  const list = subjects.filter((s) => !s.cycleOnly);
  const lido = list.find((s) => s.headline);
  const shared = new Error('cancelled');
  // A fresh Error per abort: the work tarn's own abort() does (`reject(new Error('aborted'))`).
  const fresh = () => new Error('aborted');
  const entries = [
    ...list.map((s) => ({ ...s, run: () => onPool(s, n, s.headline ? fresh : undefined) })),
    ...(lido && extras
      ? [
          { name: 'lido, abort() (no reason)', peer: false, headline: false, run: () => onPool(lido, n) },
          { name: 'lido, abort(shared reason)', peer: false, headline: false, run: () => onPool(lido, n, shared) },
        ]
      : []),
    // As many rounds as the pools get: the ceiling note below divides a peer's time by it.
    ...(extras
      ? [
          {
            name: FLOOR,
            peer: false,
            headline: false,
            full: true,
            run: () => cancelAll('floor', n, () => bareSignal(fresh)),
          },
        ]
      : []),
  ];
  const figures = await rounds(entries, (e) => e.run(), { warmup: false, count: size(5, 1) });
  const rows = rowsOf(entries, figures, 1);
  const ceiling = ceilingNote(rows);
  return [
    {
      id: 'cancel',
      title: `4. Cancellation (${n.toLocaleString('en')} waiters withdrawn in random order)`,
      columns: [{ label: 'first cancel → all rejected', unit: 'ms', chart: true }],
      rows,
      notes: [
        "lido (headline): `acquire({ signal })`, then `AbortController.abort(new Error('aborted'))`: a fresh Error per abort, the same work as tarn's own `acquire().abort()`, which rejects with `new Error('aborted')`.",
        '"lido, abort() (no reason)": Node then builds a DOMException per abort, which alone costs about as much as the whole row (see the floor); "lido, abort(shared reason)" passes one Error for all. "AbortSignal alone" is the headline\'s abort (a fresh Error, dispatched through the signal) plus one promise rejected with signal.reason, and no pool: the floor under any AbortSignal-based pool.',
        'generic-pool and pg-pool have no way to withdraw a pending acquire (n/a); a `Promise.race` wrapper would only hide the waiter, which stays queued and later takes a resource, so it is not emulated.',
        ...(ceiling ? [ceiling] : []),
      ],
    },
  ];
}

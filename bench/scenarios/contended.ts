/** 2. Contended: 100 and 1,000 concurrent borrowers on max 10, each holding across one await. */
import { clockNote, COST_NOTE, costNow, rounds, rowsOf, settle, SETTLE_MS, size, type Section } from '../lib.js';
import { prefill, runBorrowers, withPools, type Subject } from '../pools.js';

/** Cycles per measurement (at least one per borrower). */
export const CYCLES = size(100_000, 2_000);

/** ns per cycle with `borrowers` concurrent borrowers on a pool of `max` (all pre-created). */
export async function borrowersNs(subjects: Subject[], max: number, borrowers: number) {
  const each = Math.max(1, Math.floor(CYCLES / borrowers));
  return withPools(subjects, { max }, async (pools) => {
    for (const p of pools.values()) await prefill(p, max); // create them all
    return rounds(subjects, async (s) => {
      const pool = pools.get(s.name)!;
      await settle(() => runBorrowers(pool, borrowers, Math.max(1, Math.ceil(each / 10))));
      const t = costNow();
      await runBorrowers(pool, borrowers, each);
      return ((costNow() - t) * 1e6) / (borrowers * each);
    });
  });
}

export async function contended(subjects: Subject[]): Promise<Section[]> {
  const counts = [100, 1_000];
  const figures = new Map<string, (number | null)[]>(subjects.map((s) => [s.name, []]));
  for (const b of counts) {
    const res = await borrowersNs(subjects, 10, b);
    for (const s of subjects) figures.get(s.name)!.push(res.get(s.name)?.[0] ?? null);
  }
  return [
    {
      id: 'contended',
      title: '2. Contended (max 10, each borrower holds across one await)',
      columns: counts.map((b) => ({ label: `${b.toLocaleString('en')} borrowers`, unit: 'ns/cycle', chart: true })),
      rows: rowsOf(subjects, figures, counts.length),
      notes: [
        `About ${CYCLES.toLocaleString('en')} cycles per round, measured after ${SETTLE_MS} ms of untimed cycles (each round starts with a full GC); the await is \`await null\`; ${COST_NOTE}.`,
        `${clockNote()}.`,
      ],
    },
  ];
}

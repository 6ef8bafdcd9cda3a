/** 1. Uncontended: one borrower acquires and releases an idle resource; ns per cycle. */
import { clockNote, COST_NOTE, costNow, rounds, rowsOf, settle, SETTLE_MS, size, type Section } from '../lib.js';
import { withPools, type Subject } from '../pools.js';

export async function uncontended(subjects: Subject[]): Promise<Section[]> {
  const n = size(300_000, 2_000); // ~60 ms per round for lido: shorter rounds were at the mercy of one scavenge or time slice
  const figures = await withPools(subjects, { max: 10 }, async (pools) => {
    for (const p of pools.values()) await p.cycle(100); // creates the one resource
    return rounds(subjects, async (s) => {
      const pool = pools.get(s.name)!;
      await settle(() => pool.cycle(1_000));
      const t = costNow();
      await pool.cycle(n);
      return ((costNow() - t) * 1e6) / n;
    });
  });
  return [
    {
      id: 'uncontended',
      title: '1. Uncontended acquire + release',
      columns: [{ label: 'one borrower, idle resource', unit: 'ns/cycle', chart: true }],
      rows: rowsOf(subjects, figures, 1),
      notes: [
        `${n.toLocaleString('en')} sequential cycles per round, max 10, measured after ${SETTLE_MS} ms of untimed cycles (each round starts with a full GC); ${COST_NOTE}.`,
        `${clockNote()}.`,
      ],
    },
  ];
}

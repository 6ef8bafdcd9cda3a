/** 6. Scaling: cost per cycle with 10, 1,000, 100,000 waiters and with 10 and 10,000 resources. */
import { size, type Column, type Section } from '../lib.js';
import type { Subject } from '../pools.js';
import { borrowersNs } from './contended.js';

export async function scaling(subjects: Subject[]): Promise<Section[]> {
  // [label, max, borrowers]: waiters = borrowers - max; with borrowers = max nobody waits.
  const cases: [string, number, number][] = [
    ['10 waiters', 10, 20],
    ['1,000 waiters', 10, 1_010],
    [`${size('100,000', '1,000')} waiters`, 10, size(100_010, 1_010)],
    ['10 resources', 10, 10],
    [`${size('10,000', '100')} resources`, size(10_000, 100), size(10_000, 100)],
  ];
  const figures = new Map<string, (number | null)[]>(subjects.map((s) => [s.name, []]));
  for (const [, max, borrowers] of cases) {
    const res = await borrowersNs(subjects, max, borrowers);
    for (const s of subjects) figures.get(s.name)!.push(res.get(s.name)?.[0] ?? null);
  }
  const rows = subjects.map((s) => ({
    subject: s.name,
    peer: s.peer,
    headline: s.headline,
    values: figures.get(s.name)!,
  }));
  const flat = (r: (typeof rows)[number]) => {
    const [w10, , wBig, r10, rBig] = r.values;
    const f = (a: number | null, b: number | null) => (a && b ? (b / a).toFixed(2) + '×' : 'n/a');
    return `${r.subject}: ${f(w10, wBig)} from 10 to ${cases[2][0]}, ${f(r10, rBig)} from 10 to ${cases[4][0]}`;
  };
  return [
    {
      id: 'scaling',
      title: '6. Scaling (each borrower holds across one await)',
      columns: cases.map(([label]): Column => ({ label, unit: 'ns/cycle', chart: true })),
      rows,
      notes: [
        'Waiters: max 10 with 10 + N concurrent borrowers, so about N are queued at any time. Resources: max R with R concurrent borrowers, all resources created beforehand.',
        'Growth of the cost per cycle (1.00× = flat): ' + rows.map(flat).join('; ') + '.',
      ],
    },
  ];
}

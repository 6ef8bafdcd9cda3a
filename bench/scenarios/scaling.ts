/**
 * 6. Scaling: cost per cycle with 10, 1,000, 100,000 waiters and with 10 and 10,000
 * resources. Borrowers cycle without end, so the queue (or the set of borrowed
 * resources) keeps its size; the cost is read over time windows once warm, which
 * leaves out the one-off cost of starting the borrowers. The 100,000-waiter case runs
 * in one child process per library, which exits without draining its queue (draining
 * takes the O(n)-per-cycle peers longer than the whole suite may).
 */
import { fileURLToPath } from 'node:url';
import { childFigures, COST_NOTE, costNow, isMain, median, rounds, size, type Column, type Section } from '../lib.js';
import { allSubjects, prefill, withPools, type Instance, type Subject } from '../pools.js';

const WARM_MS = size(100, 10);
/** Window length in ms of the cost clock (CPU time by default). */
const WINDOW_MS = size(150, 20);
const CHILD_WINDOWS = size(5, 1);

/**
 * Starts `borrowers` endless borrowers; after WARM_MS, measures `windows` windows of
 * WINDOW_MS: `result` resolves with ns per cycle of each, `drained` once all have stopped.
 */
function steady(pool: Instance, borrowers: number, windows: number) {
  let cycles = 0;
  let stop = false;
  let next = Infinity;
  let mark = 0;
  let markCycles = 0;
  const perWindow: number[] = [];
  let resolve!: (v: number[]) => void;
  const result = new Promise<number[]>((r) => (resolve = r));
  // The cost clock is read every 256 cycles only, so measuring costs next to nothing.
  const go = () => {
    if (stop) return false;
    if ((++cycles & 255) === 0) {
      const t = costNow();
      if (t >= next) {
        if (mark !== 0) perWindow.push(((t - mark) * 1e6) / (cycles - markCycles));
        mark = t;
        markCycles = cycles;
        next = t + WINDOW_MS;
        if (perWindow.length === windows) {
          stop = true;
          resolve(perWindow);
        }
      }
    }
    return true;
  };
  const all: Promise<void>[] = new Array(borrowers);
  for (let i = 0; i < borrowers; i++) all[i] = pool.borrowWhile(go);
  next = costNow() + WARM_MS;
  return { result, drained: Promise.all(all) };
}

/** In-process: one steady window per round, rounds interleaved across subjects. */
async function inProcess(subjects: Subject[], max: number, borrowers: number) {
  return withPools(subjects, { max }, async (pools) => {
    for (const p of pools.values()) await prefill(p, max);
    return rounds(
      subjects,
      async (s) => {
        const run = steady(pools.get(s.name)!, borrowers, 1);
        const [ns] = await run.result;
        await run.drained;
        return ns;
      },
      { warmup: false, count: size(5, 1) },
    );
  });
}

/** Child side: one subject, `borrowers` on `max`, median of CHILD_WINDOWS windows; exits without draining. */
async function child(name: string, max: number, borrowers: number): Promise<void> {
  const s = (await allSubjects()).subjects.find((x) => x.name === name);
  if (!s) throw new Error(`no subject ${name}`);
  const pool = s.make({ max });
  await prefill(pool, max);
  const windows = await steady(pool, borrowers, CHILD_WINDOWS).result;
  process.stdout.write(JSON.stringify([median(windows)]) + '\n');
  process.exit(0);
}

if (isMain(import.meta.url)) {
  child(process.argv[2], Number(process.argv[3]), Number(process.argv[4])).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

export async function scaling(subjects: Subject[]): Promise<Section[]> {
  const bigQueue = size(100_000, 1_000);
  // [label, max, borrowers, in a child process]: waiters = borrowers - max.
  const cases: [string, number, number, boolean][] = [
    ['10 waiters', 10, 20, false],
    ['1,000 waiters', 10, 1_010, false],
    [`${bigQueue.toLocaleString('en')} waiters`, 10, bigQueue + 10, true],
    ['10 resources', 10, 10, false],
    [`${size(10_000, 100).toLocaleString('en')} resources`, size(10_000, 100), size(10_000, 100), false],
  ];
  const self = fileURLToPath(import.meta.url);
  const figures = new Map<string, (number | null)[]>(subjects.map((s) => [s.name, []]));
  for (const [, max, borrowers, isolated] of cases) {
    const res = isolated
      ? new Map(subjects.map((s) => [s.name, childFigures(self, [s.name, String(max), String(borrowers)])]))
      : await inProcess(subjects, max, borrowers);
    for (const s of subjects) figures.get(s.name)!.push(res.get(s.name)?.[0] ?? null);
  }
  const rows = subjects.map((s) => ({
    subject: s.name,
    peer: s.peer,
    headline: s.headline,
    values: figures.get(s.name)!,
  }));
  const growth = (r: (typeof rows)[number]) => {
    const [w10, , wBig, r10, rBig] = r.values;
    const f = (a: number | null, b: number | null) => (a && b ? (b / a).toFixed(2) + '×' : 'n/a');
    return `${r.subject} ${f(w10, wBig)} and ${f(r10, rBig)}`;
  };
  return [
    {
      id: 'scaling',
      title: '6. Scaling (endless borrowers, each holding across one await)',
      columns: cases.map(([label]): Column => ({ label, unit: 'ns/cycle', chart: true })),
      rows,
      notes: [
        'Waiters: max 10 with 10 + N borrowers, so N are queued at all times. Resources: max R with R borrowers, all R resources created beforehand.',
        `Cost per cycle (${COST_NOTE}) over ${WINDOW_MS} ms windows after ${WARM_MS} ms of warm-up; the ${bigQueue.toLocaleString('en')}-waiter case runs in a child process per library (median of ${CHILD_WINDOWS} windows); the others are the median of ${size(5, 1)} rounds.`,
        `Growth from 10 to ${cases[2][0]} and from 10 to ${cases[4][0]} (1.00× = flat): ` +
          rows.map(growth).join('; ') +
          '.',
      ],
    },
  ];
}

/**
 * 5. Memory: heap bytes per idle resource and per waiter (after a full GC).
 * Each subject is measured in a child process of its own: a clean heap, and no
 * need to shut down pools holding 100,000 resources or waiters (several peers
 * take O(n²) to do that), since the child just exits.
 */
import { fileURLToPath } from 'node:url';
import { childFigures, heapAfterGc, isMain, rowsOf, size, tick, type Section } from '../lib.js';
import { allSubjects, type Subject } from '../pools.js';

/** Keeps measured pools reachable: V8 may otherwise collect a pool whose variable is dead. */
const alive: unknown[] = [];

/** Heap bytes of one bare resource as the subject's factory makes it (subtracted from "idle"). */
function bareBytes(s: Subject, n: number): number {
  const keep = new Array(n).fill(null);
  const base = heapAfterGc();
  for (let i = 0; i < n; i++) keep[i] = s.bareResource();
  const bytes = (heapAfterGc() - base) / n;
  keep.fill(null);
  return bytes;
}

/** Pool bytes per idle resource: n created, released, idle; the resources themselves excluded. */
async function perIdle(s: Subject, n: number, bare: number): Promise<number> {
  const handles = new Array(n).fill(null);
  const base = heapAfterGc();
  const pool = s.make({ max: n });
  for (let i = 0; i < n; i++) handles[i] = await pool.acquire();
  // Newest first: tarn finds a released resource by a linear scan from the oldest.
  for (let i = n - 1; i >= 0; i--) pool.release(handles[i]);
  handles.fill(null);
  alive.push(pool);
  await tick();
  return (heapAfterGc() - base) / n - bare;
}

/** Bytes per pending acquire: one resource held, n waiting (their promises kept by the caller). */
async function perWaiter(s: Subject, n: number): Promise<number> {
  const pending: Promise<unknown>[] = new Array(n).fill(null);
  const pool = s.make({ max: 1 });
  await pool.acquire();
  await tick();
  const base = heapAfterGc();
  for (let i = 0; i < n; i++) pending[i] = pool.acquire();
  alive.push(pool, pending);
  return (heapAfterGc() - base) / n;
}

/** Child side: measure one subject, print JSON, exit without tearing anything down. */
async function child(name: string, what: string, n: number): Promise<void> {
  const s = (await allSubjects()).subjects.find((x) => x.name === name);
  if (!s) throw new Error(`no subject ${name}`);
  let figures: number[];
  if (what === 'idle') {
    const bare = bareBytes(s, n);
    figures = [await perIdle(s, n, bare), bare];
  } else figures = [await perWaiter(s, n)];
  process.stdout.write(JSON.stringify(figures) + '\n');
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
if (isMain(import.meta.url)) {
  child(process.argv[2], process.argv[3], Number(process.argv[4])).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

export async function memory(subjects: Subject[]): Promise<Section[]> {
  const n = size(100_000, 1_000);
  const list = subjects.filter((s) => !s.cycleOnly);
  const figures = new Map<string, number[]>();
  const measure = (s: Subject, what: string) => childFigures(self, [s.name, what, String(n)]);
  for (const s of list) {
    const [idle, bare] = measure(s, 'idle');
    figures.set(s.name, [idle, measure(s, 'waiter')[0], bare]);
  }
  return [
    {
      id: 'memory',
      title: `5. Memory (heap after full GC, ${n.toLocaleString('en')} of each)`,
      columns: [
        { label: 'per idle resource', unit: 'bytes', chart: true },
        { label: 'per waiter', unit: 'bytes', chart: true },
        { label: '(bare resource, excluded)', unit: 'bytes', compare: false },
      ],
      rows: rowsOf(list, figures, 3),
      notes: [
        'One child process per library and figure (same Node flags). Default options everywhere, so per-resource idle timers (pg-pool) and per-waiter timeout timers (tarn; lido if it uses any) are counted.',
        "Per waiter includes the promise the caller holds. pg-pool's resource is its no-op Client (an EventEmitter), hence its larger bare size.",
      ],
    },
  ];
}

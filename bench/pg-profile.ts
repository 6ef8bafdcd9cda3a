/**
 * PgPool vs pg.Pool on the real Postgres, in one process, alternating rounds:
 * throughput, p99 and median latency, client CPU µs per query, bytes allocated per
 * query and GC pauses per round (count, total, longest).
 *
 *   node --expose-gc --import tsx bench/pg-profile.ts [rounds=5] [seconds=1.5] [--only=lido|pg] [--callers=64]
 *     [--fake] [--count] [--variant=query|connect|core] [--before=DIR] [--heap=MS]
 *
 * lido is the esbuild bundle of src/ (built into its own cache folder, so it never
 * races `npm run bench`). With --only=lido the process runs lido alone, for
 * `node --cpu-prof` or `--trace-gc`. PG* variables select the server (default
 * 127.0.0.1:5432, user postgres, database test). --fake replaces the server and pg's
 * client by an in-process stand-in that answers every query sent in one turn on the
 * next (setImmediate): what is left is the pools' own cost.
 */
import { EventEmitter } from 'node:events';
import { bundle } from './build.js';
import { closedLoop, median, pgServer, quantile } from './lib.js';
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import pg from 'pg';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const positional = args.filter((a) => !a.startsWith('--'));
const ROUNDS = Number(positional[0] ?? 5);
const SECONDS = Number(positional[1] ?? 1.5);
const ONLY = flag('only');
const CALLERS = Number(flag('callers') ?? 64);
const MAX = 10;

const OUT = fileURLToPath(new URL('../node_modules/.cache/lido-pg-profile/', import.meta.url));

/** PgPool built from `src` (default: this checkout's), into its own folder. */
async function lidoPg(
  src = fileURLToPath(new URL('../src/', import.meta.url)),
  name = 'pg',
): Promise<new (o: pg.PoolConfig) => pg.Pool> {
  rmSync(`${OUT}${name}.mjs`, { force: true });
  await bundle({ [name]: `${src}/adapters/pg/index.ts` }, OUT);
  return (await import(pathToFileURL(`${OUT}${name}.mjs`).href)).PgPool;
}

interface Gc {
  count: number;
  total: number;
  longest: number;
  major: number;
}

let gcs: Gc = { count: 0, total: 0, longest: 0, major: 0 };
let gcTimes: [number, number][] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcTimes.push([e.startTime, e.duration]);
    gcs.count++;
    gcs.total += e.duration;
    if (e.duration > gcs.longest) gcs.longest = e.duration;
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    if (kind !== 1) gcs.major++; // 1 = minor (scavenge)
  }
}).observe({ entryTypes: ['gc'] });

interface Figures {
  over2: number;
  over3: number;
  over5: number;
  qps: number;
  p99: number;
  p50: number;
  p90: number;
  p95: number;
  p98: number;
  p995: number;
  p999: number;
  max: number;
  cpuUs: number;
  userUs: number;
  bytes: number;
  promoted: number;
  gcCount: number;
  gcMs: number;
  gcLongest: number;
  gcMajor: number;
}

async function load(op: () => Promise<unknown>): Promise<Figures> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 10)); // the observer reports that GC before the counts restart
  const starts: number[] = [];
  gcTimes = [];
  gcs = { count: 0, total: 0, longest: 0, major: 0 };
  const profiler = new v8.GCProfiler();
  profiler.start();
  const cpu0 = process.cpuUsage();
  // --live: every 50 ms, a minor GC, then the young generation's size: what is alive in it (median, bytes).
  const live: number[] = [];
  let liveTimer: NodeJS.Timeout | undefined;
  if (LIVE) {
    const g = (globalThis as { gc?: (o: object) => void }).gc!;
    liveTimer = setInterval(() => {
      g({ type: 'minor', execution: 'sync' });
      live.push(v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_used_size);
    }, 50);
  }
  const { lat, secs } = await closedLoop(op, CALLERS, SECONDS, SLOW ? starts : undefined);
  clearInterval(liveTimer);
  if (LIVE)
    console.error(
      `  young generation alive after a minor GC: ${Math.round(median(live) / 1024)} kB (median of ${live.length})`,
    );
  const cpu = process.cpuUsage(cpu0);
  const usedEnd = v8.getHeapStatistics().used_heap_size;
  const stats = profiler.stop()?.statistics ?? [];
  // Allocated = growth between GCs (before this GC − after the previous one), plus the tail.
  let bytes = 0;
  let promoted = 0;
  let prev: number | null = null;
  const old = (h: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] }): number =>
    h.heapSpaceStatistics.find((x) => x.spaceName === 'old_space')!.spaceUsedSize;
  for (const s of stats) {
    if (s.gcType === 'Scavenge') promoted += old(s.afterGC) - old(s.beforeGC);
    const before = s.beforeGC.heapStatistics.usedHeapSize;
    if (prev !== null) bytes += before - prev;
    prev = s.afterGC.heapStatistics.usedHeapSize;
  }
  if (prev !== null) bytes += usedEnd - prev;
  await new Promise((r) => setImmediate(r)); // let the gc observer deliver
  if (SLOW) slowReport(lat, starts);
  lat.sort((a, b) => a - b);
  const n = lat.length;
  return {
    qps: n / secs,
    p99: quantile(lat, 0.99),
    p50: quantile(lat, 0.5),
    over2: share(lat, 2),
    over3: share(lat, 3),
    over5: share(lat, 5),
    p90: quantile(lat, 0.9),
    p95: quantile(lat, 0.95),
    p98: quantile(lat, 0.98),
    p995: quantile(lat, 0.995),
    p999: quantile(lat, 0.999),
    max: lat[n - 1],
    cpuUs: (cpu.user + cpu.system) / n,
    userUs: cpu.user / n,
    bytes: bytes / n,
    promoted: promoted / n,
    gcCount: gcs.count,
    gcMs: gcs.total,
    gcLongest: gcs.longest,
    gcMajor: gcs.major,
  };
}

const SLOW = args.includes('--slow');
const LIVE = args.includes('--live');

/** --slow: how the queries slower than the round's p99 spread in time, and how many overlap a GC. */
function slowReport(lat: number[], starts: number[]): void {
  const sorted = [...lat].sort((a, b) => a - b);
  const p99 = sorted[Math.floor(sorted.length * 0.99)];
  let slow = 0;
  let duringGc = 0;
  const windows = new Set<number>();
  for (let i = 0; i < lat.length; i++) {
    if (lat[i] <= p99) continue;
    slow++;
    const a = starts[i];
    const b = a + lat[i];
    windows.add(Math.floor(a / 5));
    if (gcTimes.some(([t, d]) => t < b && t + d > a)) duringGc++;
  }
  console.error(
    `  slow (> p99 ${p99.toFixed(2)} ms): ${slow}, in ${windows.size} windows of 5 ms; ${duringGc} overlap a GC (${gcTimes.length} GCs)`,
  );
}

/** The share of (sorted) latencies above `ms`. */
function share(sorted: number[], ms: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= ms) lo = mid + 1;
    else hi = mid;
  }
  return (sorted.length - lo) / sorted.length;
}

/** The --fake server: queries sent during one turn are answered, in order, on the next. */
const fakeQueue: (() => void)[] = [];
let fakeTurn = false;
const RESULT = Object.freeze({ command: 'SELECT', rowCount: 1, rows: [{ '?column?': 1 }], fields: [] });
function fakeServe(): void {
  fakeTurn = false;
  for (const done of fakeQueue.splice(0)) done();
}
class FakeClient extends EventEmitter {
  _queryable = true;
  _ending = false;
  readyForQuery = true;
  constructor(readonly config: unknown) {
    super();
  }
  connect(cb?: (err: Error | null) => void): Promise<void> | void {
    if (cb === undefined) return new Promise((r) => setImmediate(r));
    setImmediate(cb, null);
  }
  query(_text: unknown, values?: unknown, cb?: (err: Error | null, res: unknown) => void): Promise<unknown> | void {
    if (typeof values === 'function') [cb, values] = [values as typeof cb, undefined];
    const answer = (resolve: (v: unknown) => void) => () => resolve(RESULT);
    if (!fakeTurn) {
      fakeTurn = true;
      setImmediate(fakeServe);
    }
    if (cb === undefined) return new Promise((r) => fakeQueue.push(answer(r)));
    fakeQueue.push(() => cb(null, RESULT));
  }
  getTransactionStatus(): string {
    return 'I';
  }
  end(cb?: () => void): Promise<void> | void {
    this._ending = true;
    if (cb === undefined) return Promise.resolve();
    setImmediate(cb);
  }
  ref(): void {}
  unref(): void {}
}

async function main(): Promise<void> {
  const config: pg.PoolConfig = {
    ...pgServer(),
    max: MAX,
  };
  if (args.includes('--fake')) (config as { Client?: unknown }).Client = FakeClient;
  // --count: which statements the pools send besides the workload's (pre-pings, resets).
  const extra = new Map<string, number>();
  if (args.includes('--count')) {
    for (const proto of [pg.Client.prototype, FakeClient.prototype] as { query(...a: unknown[]): unknown }[]) {
      const query = proto.query;
      proto.query = function (this: unknown, text: unknown, ...rest: unknown[]) {
        const sql = typeof text === 'string' ? text : String((text as { text?: unknown })?.text);
        if (sql !== 'SELECT 1') extra.set(JSON.stringify(sql), (extra.get(JSON.stringify(sql)) ?? 0) + 1);
        return query.call(this, text, ...rest);
      };
    }
  }
  const PgPool = await lidoPg();
  const subjects: { name: string; pool: pg.Pool; op(): Promise<unknown> }[] = [];
  const viaQuery = (pool: pg.Pool) => () => pool.query('SELECT 1');
  if (ONLY !== 'pg') {
    // --suite-build: the bundle `npm run bench` measures (bench/build.ts: every entry, shared chunks).
    const Suite = args.includes('--suite-build')
      ? ((await import((await (await import('./build.js')).lidoBuild()).get('pg')!)) as { PgPool: typeof PgPool })
          .PgPool
      : PgPool;
    const pool = new Suite(config);
    subjects.push({ name: 'lido PgPool', pool, op: variant(pool, flag('variant') ?? 'query') });
  }
  // --before=DIR: also PgPool built from DIR/adapters/pg (e.g. `git archive <rev> src | tar -x -C /tmp/x`, DIR=/tmp/x/src).
  const before = flag('before');
  if (before !== undefined && ONLY !== 'pg') {
    const pool = new (await lidoPg(before, 'pg-before'))(config);
    subjects.push({ name: 'lido before', pool, op: variant(pool, 'query') });
  }
  if (ONLY !== 'lido') {
    const pool = new pg.Pool(config);
    subjects.push({ name: 'pg.Pool', pool, op: viaQuery(pool) });
  }
  for (const s of subjects) for (let i = 0; i < 2000; i++) await Promise.all([s.op(), s.op()]);
  const results = new Map<string, Figures[]>(subjects.map((s) => [s.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < subjects.length; i++) {
      const s = subjects[(i + r) % subjects.length];
      const f = await load(s.op);
      results.get(s.name)!.push(f);
      if (process.env.VERBOSE === '1') console.error(`round ${r} ${s.name}: ${fmt(f)}`);
    }
  }
  if (flag('heap') !== undefined) await heapSample(subjects[0].pool, Number(flag('heap')));
  // --snapshot=FILE: a heap snapshot in the middle of a load of the first pool.
  const snap = flag('snapshot');
  if (snap !== undefined) {
    const first = subjects[0];
    const stop = performance.now() + 600;
    setTimeout(() => console.error(`snapshot: ${v8.writeHeapSnapshot(snap)}`), 300);
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (performance.now() < stop) await first.op();
      }),
    );
  }
  for (const s of subjects) await s.pool.end();
  if (args.includes('--count'))
    console.log('other statements sent (both pools, warm-up included):', Object.fromEntries(extra));
  console.log(`${CALLERS} callers, max ${MAX}, ${SECONDS} s × ${ROUNDS} rounds; medians:`);
  for (const [name, fs] of results) {
    const m = (k: keyof Figures): number => median(fs.map((f) => f[k]));
    console.log(
      `${name.padEnd(12)} ${fmt({ over2: m('over2'), over3: m('over3'), over5: m('over5'), qps: m('qps'), p99: m('p99'), p50: m('p50'), p90: m('p90'), p95: m('p95'), p98: m('p98'), p995: m('p995'), p999: m('p999'), max: m('max'), cpuUs: m('cpuUs'), userUs: m('userUs'), bytes: m('bytes'), promoted: m('promoted'), gcCount: m('gcCount'), gcMs: m('gcMs'), gcLongest: m('gcLongest'), gcMajor: m('gcMajor') })}`,
    );
    console.log(`${''.padEnd(12)} p99 per round: ${fs.map((f) => f.p99.toFixed(2)).join(' ')}`);
  }
}

/**
 * --heap=N: N ms of load under the sampling heap profiler, then the allocation sites of
 * what is still in the heap (live, or promoted and not yet collected by a major GC).
 */
async function heapSample(pool: pg.Pool, ms: number): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const stop = performance.now() + ms;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < stop) await pool.query('SELECT 1');
    }),
  );
  const { profile } = await session.post('HeapProfiler.getSamplingProfile');
  await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  type Node = {
    callFrame: { functionName: string; url: string; lineNumber: number };
    selfSize: number;
    children: Node[];
  };
  const sites = new Map<string, number>();
  const walk = (n: Node, stack: string[]): void => {
    const f = n.callFrame;
    const here = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const path = [...stack, here];
    if (n.selfSize > 0) {
      const key = path.slice(-3).join(' < ');
      sites.set(key, (sites.get(key) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, path);
  };
  walk(profile.head as unknown as Node, []);
  const total = [...sites.values()].reduce((a, b) => a + b, 0);
  console.log(`allocated in ${ms} ms of load: ${(total / 1e6).toFixed(1)} MB; top sites:`);
  for (const [k, v] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`${(v / 1e3).toFixed(0).padStart(7)} kB  ${k}`);
}

/** --variant=…: other ways through lido, to see which part of the path costs what. */
function variant(pool: pg.Pool, name: string): () => Promise<unknown> {
  type Core = { acquire(): Promise<{ resource: pg.Client; release(): void }> };
  const core = (pool as unknown as { corePool: Core }).corePool;
  const cbQuery = (c: pg.Client): Promise<unknown> =>
    new Promise((resolve, reject) => {
      c.query('SELECT 1', (err: Error | undefined, res: unknown) => (err ? reject(err) : resolve(res)));
    });
  switch (name) {
    case 'query':
      return () => pool.query('SELECT 1');
    // query+N: N µs of busy CPU per query on top (a slower client, same pool).
    case name.startsWith('query+') ? name : '': {
      const us = Number(name.slice(6));
      return () => {
        const until = performance.now() + us / 1000;
        while (performance.now() < until);
        return pool.query('SELECT 1');
      };
    }
    case 'connect':
      return async () => {
        const c = await pool.connect();
        try {
          return await cbQuery(c);
        } finally {
          c.release();
        }
      };
    case 'core':
      return async () => {
        const lease = await core.acquire();
        try {
          return await cbQuery(lease.resource);
        } finally {
          lease.release();
        }
      };
    default:
      throw new Error(`unknown variant ${name}`);
  }
}

function fmt(f: Figures): string {
  return `${Math.round(f.qps)} q/s  p99 ${f.p99.toFixed(2)} ms  p50 ${f.p50.toFixed(2)} ms  p90 ${f.p90.toFixed(2)}  p95 ${f.p95.toFixed(2)}  p98 ${f.p98.toFixed(2)}  p99.5 ${f.p995.toFixed(2)}  p99.9 ${f.p999.toFixed(2)}  max ${f.max.toFixed(1)} ms  ${f.cpuUs.toFixed(1)} µs CPU/q (user ${f.userUs.toFixed(1)})  >2/3/5 ms: ${(f.over2 * 100).toFixed(2)}/${(f.over3 * 100).toFixed(2)}/${(f.over5 * 100).toFixed(2)} %  ${Math.round(f.bytes)} B/q (promoted ${Math.round(f.promoted)}) GC ${f.gcCount} (${f.gcMajor} major) ${f.gcMs.toFixed(1)} ms, longest ${f.gcLongest.toFixed(2)} ms`;
}

await main();

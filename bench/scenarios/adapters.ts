/**
 * 7. Adapters against the real thing: PgPool vs pg.Pool (SELECT 1 on Postgres) and
 * HttpPool vs undici's Agent (GET on a local server in a child process). Each part is
 * skipped, with a note, while its adapter does not exist yet.
 *
 * Each contender runs in a child process of its own (this file in child mode), started
 * and warmed up once, then told to measure one window at a time, taking turns with the
 * other contender's process (which sits idle meanwhile). Run in one process, the two
 * contenders would share the driver's code (pg's Client, undici's Client) and its
 * optimised state, and whichever ran just before would change the figures of the other.
 * A fresh process per window would measure the JIT still warming up (see WARM_OPS).
 * Why, with figures: docs/performance.md, "Comparing the adapters".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Agent, request, type Dispatcher } from 'undici';
import { lidoBuild } from '../build.js';
import { startServer } from '../http-server.js';
import {
  closedLoop,
  isMain,
  median,
  now,
  pairedRatios,
  pgServer,
  quantile,
  size,
  SMOKE,
  VERBOSE,
  within,
  type Column,
  type Section,
} from '../lib.js';

const CALLERS = 64;
const MAX = 10;
/** Length of one measured window. */
const SECONDS = size(1.5, 0.3);
/**
 * Calls a child makes under the full load before its first window (at least WARM_MIN_SECONDS,
 * at most WARM_MAX_SECONDS). Counted rather than timed: V8 optimises a function after so
 * many calls, not after so many seconds; both contenders reach their steady rate well
 * before this count (docs/performance.md, "Comparing the adapters").
 */
const WARM_OPS = size(40_000, 200);
const WARM_MIN_SECONDS = size(1, 0.05);
const WARM_MAX_SECONDS = size(6, 0.3);
/** Untimed load before each window: the first calls after an idle spell are not the steady state. */
const REWARM_SECONDS = size(0.2, 0.02);
/** Measured windows per contender: even, so each goes first in half of the rounds. */
const ROUNDS = size(8, 2);

// The children inherit the environment: a smoke run's children measure with tiny counts too.
if (SMOKE) process.env.BENCH_SMOKE = '1';

/** Which adapter: PgPool against pg.Pool, or HttpPool against undici's Agent. */
export type Kind = 'pg' | 'http';
type Who = 'lido' | 'peer';

/** The built adapter (see build.ts), or null while src/adapters/<name> does not exist. */
async function adapterEntry(name: Kind): Promise<string | null> {
  return (await lidoBuild()).get(name) ?? null;
}

/** CALLERS concurrent callers running `op` for `seconds`: [ops per second, p99 ms, median ms]. */
async function load(op: () => Promise<unknown>, seconds: number): Promise<number[]> {
  const { lat, secs } = await closedLoop(op, CALLERS, seconds);
  lat.sort((a, b) => a - b);
  return [lat.length / secs, quantile(lat, 0.99), median(lat)];
}

interface Contender {
  op(): Promise<unknown>;
  close(): Promise<void>;
}

function pgConfig(): pg.PoolConfig {
  return {
    ...pgServer(),
    max: MAX,
  };
}

/** One contender, made in the child: `entry` is lido's built adapter, `url` the HTTP server. */
async function contender(kind: Kind, who: Who, entry: string, url: string): Promise<Contender> {
  if (kind === 'pg') {
    const { PgPool } = (await import(entry)) as { PgPool: new (o: pg.PoolConfig) => pg.Pool };
    const pool = who === 'lido' ? new PgPool(pgConfig()) : new pg.Pool(pgConfig());
    return { op: () => pool.query('SELECT 1'), close: () => pool.end() };
  }
  const { HttpPool } = (await import(entry)) as { HttpPool: new (o: Record<string, unknown>) => Dispatcher };
  const dispatcher = who === 'lido' ? new HttpPool({ max: MAX }) : new Agent({ connections: MAX });
  return { op: async () => (await request(url, { dispatcher })).body.text(), close: () => dispatcher.close() };
}

/** Runs the full load until WARM_OPS calls (within the time bounds); returns [calls, seconds]. */
async function warm(op: () => Promise<unknown>): Promise<number[]> {
  const t0 = now();
  let calls = 0;
  let secs = 0;
  while (secs < WARM_MAX_SECONDS && (calls < WARM_OPS || secs < WARM_MIN_SECONDS)) {
    calls += (await closedLoop(op, CALLERS, Math.min(0.5, WARM_MAX_SECONDS - secs))).lat.length;
    secs = (now() - t0) / 1000;
  }
  return [calls, secs];
}

/**
 * Child mode: makes one contender, warms it up, prints `ready`, then for each `measure`
 * line on stdin measures one window and prints its figures as JSON; `close` (or the end
 * of stdin) closes the contender and exits.
 */
async function child(kind: Kind, who: Who, entry: string, url: string): Promise<void> {
  const c = await contender(kind, who, entry, url);
  for (let i = 0; i < 200; i++) await c.op(); // connect + warm
  const warmed = await warm(() => c.op());
  process.stdout.write(`ready ${JSON.stringify(warmed)}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'measure') break;
    // No forced GC here (the cycle scenarios have one per round): this process runs one
    // contender, so no one pays for another's garbage, and a full GC between windows, when
    // none of a request's objects is alive, collects their hidden classes and makes V8
    // drop the optimised code that checks them, again and again (docs/performance.md,
    // "Comparing the adapters"): a loaded service, always with requests in flight, does not
    // see that. The GCs the load itself brings happen inside the windows, as in service.
    await closedLoop(() => c.op(), CALLERS, REWARM_SECONDS);
    process.stdout.write(JSON.stringify(await load(() => c.op(), SECONDS)) + '\n');
  }
  const closed = await Promise.race([
    c.close().then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 3_000).unref()),
  ]);
  if (!closed) console.error(`bench adapters: ${kind} ${who}: close() had not resolved after 3 s`);
  process.exit(closed ? 0 : 2);
}

if (isMain(import.meta.url)) {
  const [kind, who, entry, url] = process.argv.slice(2);
  child(kind as Kind, who as Who, entry, url ?? '').catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

/** The parent's handle on one child: ask for a window, get its figures. */
class Measurer {
  readonly #proc: ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #what: string;

  private constructor(proc: ChildProcess, what: string) {
    this.#proc = proc;
    this.#lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    this.#what = what;
  }

  /** Starts the child and waits until it is warm: [warm-up calls, seconds]. */
  static async start(
    kind: Kind,
    who: Who,
    entry: string,
    url: string,
    what: string,
  ): Promise<{ m: Measurer; warmed: number[] }> {
    const self = fileURLToPath(import.meta.url);
    const proc = spawn(process.execPath, [...process.execArgv, self, kind, who, entry, url], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const m = new Measurer(proc, what);
    try {
      const line = await m.#line(60_000, 'warm-up');
      if (!line.startsWith('ready ')) throw new Error(`${what}: expected "ready", got ${JSON.stringify(line)}`);
      return { m, warmed: JSON.parse(line.slice(6)) as number[] };
    } catch (e) {
      proc.kill();
      throw e;
    }
  }

  async #line(ms: number, phase: string): Promise<string> {
    const next = await within(ms, `${this.#what} (${phase})`, this.#lines.next());
    if (next.done) throw new Error(`${this.#what}: the child exited during its ${phase}`);
    return next.value;
  }

  /** One measured window: [ops per second, p99 ms, median ms]. */
  async measure(): Promise<number[]> {
    this.#proc.stdin!.write('measure\n');
    return JSON.parse(await this.#line(60_000, 'measured window')) as number[];
  }

  /** Closes the contender and waits for the child to exit (killed after 10 s). */
  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.#proc.once('exit', () => r()));
    this.#proc.stdin!.end('close\n');
    try {
      await within(10_000, `${this.#what} (close)`, exited);
    } catch {
      this.#proc.kill('SIGKILL');
    }
  }
}

/**
 * lido's adapter alone, for bench/compare.ts: one child process with lido's `kind` adapter
 * loaded from `entry` (a built module), warmed up as in the suite, measured in `windows`
 * windows, then stopped. Returns the medians of its windows: [ops per second, p99 ms,
 * median ms]. `url`: the HTTP server (unused for pg).
 */
export async function lidoAdapterWindows(o: { kind: Kind; entry: string; url: string; windows: number }) {
  const { m } = await Measurer.start(o.kind, 'lido', o.entry, o.url, `bench compare: ${o.kind} (${o.entry})`);
  try {
    const figures: number[][] = [];
    for (let w = 0; w < o.windows; w++) figures.push(await m.measure());
    return [0, 1, 2].map((k) => median(figures.map((f) => f[k])));
  } finally {
    await m.stop();
  }
}

const COLUMNS = (unit: 'q/s' | 'req/s'): Column[] => [
  { label: 'throughput', unit, higherIsBetter: true, chart: true },
  { label: 'p99 latency', unit: 'ms p99', chart: true },
  { label: 'median latency', unit: 'ms' },
];

/** Two warm children, one per contender; ROUNDS rounds of one window each, taking turns at going first. */
async function compare(
  id: string,
  title: string,
  kind: Kind,
  names: Record<Who, string>,
  entry: string,
  url: string,
  notes: string[],
): Promise<Section> {
  const perRound: Record<Who, number[][]> = { lido: [], peer: [] };
  const started: Partial<Record<Who, Measurer>> = {};
  const warmed: Partial<Record<Who, number[]>> = {};
  try {
    // One after the other: a child warming up alone has both cores, as a measured one has.
    for (const who of ['lido', 'peer'] as Who[]) {
      const { m, warmed: w } = await Measurer.start(kind, who, entry, url, `bench adapters: ${names[who]}`);
      started[who] = m;
      warmed[who] = w;
      if (VERBOSE) console.error(`  ${names[who]}: warm after ${w[0]} calls in ${w[1].toFixed(2)} s`);
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const who of (r % 2 ? ['peer', 'lido'] : ['lido', 'peer']) as Who[]) {
        const f = await started[who]!.measure();
        perRound[who].push(f);
        if (VERBOSE) console.error(`  [round ${r}] ${names[who]}: ${JSON.stringify(f)}`);
      }
    }
  } finally {
    await Promise.all(Object.values(started).map((m) => m.stop()));
  }
  const warmNote = (who: Who) =>
    `${names[who]} ${Math.round(warmed[who]![0]).toLocaleString('en')} calls in ${warmed[who]![1].toFixed(1)} s`;
  const columns = COLUMNS(kind === 'pg' ? 'q/s' : 'req/s');
  const medians = (who: Who) => columns.map((_, k) => median(perRound[who].map((f) => f[k])));
  return {
    id,
    title,
    columns,
    rows: [
      { subject: names.lido, peer: false, headline: true, values: medians('lido') },
      { subject: names.peer, peer: true, headline: false, values: medians('peer') },
    ],
    paired: pairedRatios(perRound.lido, perRound.peer, columns),
    notes: [
      `${CALLERS} concurrent callers, max ${MAX} connections. Each contender runs in a child process of its own, warmed up once (200 calls one after another, then the full load until ${WARM_OPS.toLocaleString('en')} calls and at least ${WARM_MIN_SECONDS} s, at most ${WARM_MAX_SECONDS} s; this run: ${warmNote('lido')}, ${warmNote('peer')}), then measured in ${ROUNDS} windows of ${SECONDS} s, each after ${REWARM_SECONDS} s of untimed load (no forced GC: see docs/performance.md), while the other contender's process sits idle; each figure is the median of its windows.`,
      '"lido advantage" is measured round by round: each round measures the two back to back, so the load of the machine, which can vary from second to second, weighs on both sides of its ratio; two consecutive rounds, one with each going first, make a pair (the geometric mean of their ratios), and the figure is the median of the pairs.',
      ...notes,
    ],
  };
}

const skipped = (id: string, title: string, why: string): Section => ({
  id,
  title,
  columns: [],
  rows: [],
  notes: [`Skipped: ${why}.`],
});

async function postgres(): Promise<Section> {
  const id = 'pg';
  const title = '7a. Postgres: SELECT 1 through PgPool vs pg.Pool';
  const entry = await adapterEntry('pg');
  if (!entry) return skipped(id, title, 'src/adapters/pg does not exist yet');
  if (typeof ((await import(entry)) as { PgPool?: unknown }).PgPool !== 'function')
    return skipped(id, title, 'src/adapters/pg exports no PgPool yet');
  const config = pgConfig();
  return await compare(id, title, 'pg', { lido: 'lido PgPool', peer: 'pg.Pool' }, entry, '', [
    `Postgres at ${config.host}:${config.port}, database ${config.database}.`,
  ]);
}

async function http(): Promise<Section> {
  const id = 'http';
  const title = '7b. HTTP: GET through HttpPool vs undici Agent';
  const entry = await adapterEntry('http');
  if (!entry) return skipped(id, title, 'src/adapters/http does not exist yet');
  if (typeof ((await import(entry)) as { HttpPool?: unknown }).HttpPool !== 'function')
    return skipped(id, title, 'src/adapters/http exports no HttpPool yet');
  const server = await startServer();
  try {
    return await compare(id, title, 'http', { lido: 'lido HttpPool', peer: 'undici Agent' }, entry, server.url, [
      'Server: node:http in a child process on 127.0.0.1, body "ok".',
    ]);
  } finally {
    server.stop();
  }
}

export async function adapters(): Promise<Section[]> {
  return [await postgres(), await http()];
}

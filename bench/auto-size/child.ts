/**
 * Child side of bench/auto-size: one PgPool (fixed `max`, or `autoSize` under `max`),
 * driven through the phases of its spec by closed-loop callers, with no gap between
 * phases. Prints `start` when the first phase begins (the parent starts counting the
 * server's connections then), and at the end one JSON line: a {@link ChildReport}.
 *
 * Run by parent.ts as `node <execArgv> child.ts '<ChildSpec as JSON>'`.
 */
import { performance } from 'node:perf_hooks';
import { isMain, median, pgServer, quantile } from '../lib.js';
import type { ChildReport, ChildSpec, Phase, PhaseFigures, ResizeRecord, TracePoint, Workload } from './spec.js';

interface Client {
  query(text: string, values?: unknown[]): Promise<unknown>;
  release(err?: unknown): void;
}

/** The part of lido's PgPool the bench uses. */
interface BenchPool {
  connect(): Promise<Client>;
  query(text: string): Promise<unknown>;
  stats(): { limit: number; idle: number; borrowed: number; checking: number; pending: number; serverRefusals: number };
  end(): Promise<void>;
  /** The core pool underneath: its `resize` events are autoSize's moves. */
  corePool: { on(event: 'resize', fn: (info: { from: number; to: number; reason: string }) => void): unknown };
}

/** The PgPool options of a spec: the server from PG* variables, as the other pg benches take it. */
export function poolOptions(spec: Pick<ChildSpec, 'appName' | 'max' | 'autoSize'>): Record<string, unknown> {
  return {
    ...pgServer(),
    application_name: spec.appName,
    max: spec.max,
    ...(spec.autoSize ? { autoSize: true } : {}),
  };
}

/** One call of `workload`, wait + use: resolves when the connection is back in the pool. */
function operation(pool: BenchPool, spec: ChildSpec, workload: Workload): () => Promise<void> {
  if (workload === 'cpu') {
    const text = `SELECT sum(i) FROM generate_series(1, ${spec.cpuSeries}) AS i`;
    return async () => {
      await pool.query(text);
    };
  }
  const update = `UPDATE ${spec.table} SET n = n + 1 WHERE id = $1`;
  return async () => {
    const id = 1 + Math.floor(Math.random() * spec.rows);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(update, [id]);
      await client.query('SELECT pg_sleep(0.001)');
      await client.query('COMMIT');
    } catch (e) {
      client.release(e);
      throw e;
    }
    client.release();
  };
}

/** Completed calls: end time (ms since start) and latency, in the order they ended. */
class Calls {
  ends: number[] = [];
  lats: number[] = [];
  errors: number[] = [];
}

/** Runs `callers` closed-loop callers of `op` until `stop()` says so; calls in flight finish on their own. */
function startCallers(op: () => Promise<void>, callers: number, t0: number, calls: Calls, stop: () => boolean): void {
  const caller = async (): Promise<void> => {
    while (!stop()) {
      const t = performance.now();
      try {
        await op();
        const end = performance.now();
        calls.ends.push(end - t0);
        calls.lats.push(end - t);
      } catch {
        calls.errors.push(performance.now() - t0);
      }
    }
  };
  for (let i = 0; i < callers; i++) void caller();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Figures of the phase that ran from `from` to `to` (ms since start). */
export function phaseFigures(name: string, from: number, to: number, calls: Calls, trace: TracePoint[]): PhaseFigures {
  const lats: number[] = [];
  for (let i = 0; i < calls.ends.length; i++) {
    if (calls.ends[i] >= from && calls.ends[i] < to) lats.push(calls.lats[i]);
  }
  lats.sort((a, b) => a - b);
  const limits = trace.filter((p) => p.t > from && p.t <= to).map((p) => p.limit);
  return {
    name,
    from,
    to,
    calls: lats.length,
    errors: calls.errors.filter((t) => t >= from && t < to).length,
    throughput: lats.length / ((to - from) / 1000),
    p50: lats.length ? median(lats) : NaN,
    p99: lats.length ? quantile(lats, 0.99) : NaN,
    meanLimit: limits.length ? limits.reduce((a, b) => a + b, 0) / limits.length : NaN,
    minLimit: limits.length ? Math.min(...limits) : NaN,
    maxLimit: limits.length ? Math.max(...limits) : NaN,
  };
}

async function run(spec: ChildSpec): Promise<ChildReport> {
  const { PgPool } = (await import(spec.entry)) as { PgPool: new (o: Record<string, unknown>) => BenchPool };
  const pool = new PgPool(poolOptions(spec));
  const calls = new Calls();
  const trace: TracePoint[] = [];
  const resizes: ResizeRecord[] = [];
  const t0 = performance.now();
  pool.corePool.on('resize', (info) => resizes.push({ t: performance.now() - t0, ...info }));
  process.stdout.write('start\n');
  let seen = 0;
  let last = 0;
  const sample = () => {
    const t = performance.now() - t0;
    const s = pool.stats();
    const n = calls.ends.length;
    trace.push({
      t,
      limit: s.limit,
      live: s.idle + s.borrowed + s.checking,
      borrowed: s.borrowed,
      pending: s.pending,
      throughput: ((n - seen) * 1000) / Math.max(1, t - last),
    });
    seen = n;
    last = t;
  };
  const timer = setInterval(sample, spec.sampleMs);
  const bounds: [Phase, number, number][] = [];
  for (const phase of spec.phases) {
    const from = performance.now() - t0;
    const until = from + phase.seconds * 1000;
    if (phase.callers > 0) {
      startCallers(
        operation(pool, spec, phase.workload),
        phase.callers,
        t0,
        calls,
        () => performance.now() - t0 >= until,
      );
    }
    await sleep(Math.max(0, until - (performance.now() - t0)));
    bounds.push([phase, from, performance.now() - t0]);
  }
  sample();
  clearInterval(timer);
  const report: ChildReport = {
    phases: bounds.map(([p, from, to]) => phaseFigures(p.name, from, to, calls, trace)),
    trace,
    serverRefusals: pool.stats().serverRefusals,
    resizes,
  };
  // Calls still in flight finish (their callers stop); end() waits for them, within bounds.
  await Promise.race([pool.end(), sleep(10_000)]);
  return report;
}

if (isMain(import.meta.url)) {
  run(JSON.parse(process.argv[2]) as ChildSpec).then(
    (report) => {
      process.stdout.write(JSON.stringify(report) + '\n');
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

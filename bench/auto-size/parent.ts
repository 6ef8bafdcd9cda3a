/**
 * Parent side of bench/auto-size: the hot-row table, and one child process per run
 * (child.ts), whose connections on the server it counts from `pg_stat_activity` (by the
 * run's `application_name`) while the child runs. Every child is waited for; one that
 * overruns its time is killed and waited for too.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pgServer } from '../lib.js';
import type { ChildReport, ChildSpec, ServerSample } from './spec.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** A plain pg.Client on the bench's server (PG* variables, else the shared test server). */
export async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({
    ...pgServer(),
    application_name: 'lido_bench_autosize_sampler',
  });
  await client.connect();
  return client;
}

/** Makes the hot-row table, `rows` rows (ids 1..rows), named after this process. */
export async function makeTable(client: pg.Client, rows: number): Promise<string> {
  const table = `lido_bench_autosize_${process.pid}`;
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0)`);
  await client.query(`INSERT INTO ${table} (id) SELECT generate_series(1, ${rows})`);
  return table;
}

export async function dropTable(client: pg.Client, table: string): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
}

/** What one child run gives: its report and the server's connection counts while it ran. */
export interface RunResult {
  report: ChildReport;
  server: ServerSample[];
}

const COUNT_SQL = `SELECT count(*) FILTER (WHERE application_name = $1)::int AS mine,
  count(*) FILTER (WHERE backend_type = 'client backend')::int AS "all"
  FROM pg_stat_activity`;

/**
 * Runs one child with `spec`; samples the server's connections every `spec.sampleMs`
 * from the child's `start` line to its report. Rejects (after killing and reaping the
 * child) if it exits without a report or takes longer than its phases plus `slackMs`.
 */
export async function runChild(client: pg.Client, spec: ChildSpec, slackMs = 30_000): Promise<RunResult> {
  const totalMs = spec.phases.reduce((a, p) => a + p.seconds * 1000, 0) + slackMs;
  const proc = spawn(process.execPath, [...process.execArgv, CHILD, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const server: ServerSample[] = [];
  let start = 0;
  let sampling: NodeJS.Timeout | undefined;
  let inFlight = false;
  const sample = async () => {
    if (inFlight) return;
    inFlight = true;
    try {
      const t = performance.now() - start;
      const { rows } = await client.query<{ mine: number; all: number }>(COUNT_SQL, [spec.appName]);
      server.push({ t, mine: rows[0].mine, all: rows[0].all });
    } finally {
      inFlight = false;
    }
  };
  const killer = setTimeout(() => proc.kill('SIGKILL'), totalMs);
  try {
    let report: ChildReport | null = null;
    for await (const line of createInterface({ input: proc.stdout! })) {
      if (line === 'start') {
        start = performance.now();
        sampling = setInterval(() => void sample().catch(() => {}), spec.sampleMs);
      } else if (line.startsWith('{')) {
        report = JSON.parse(line) as ChildReport;
      }
    }
    clearInterval(sampling);
    const code = await exited;
    if (!report) throw new Error(`bench auto-size: child ${spec.appName} exited (${code}) without a report`);
    return { report, server };
  } finally {
    clearInterval(sampling);
    clearTimeout(killer);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
    // A sample still in flight must not land on the client after the caller moved on.
    while (inFlight) await new Promise((r) => setTimeout(r, 5));
  }
}

/** Mean and max of the run's own server connections between `from` and `to` (ms since start). */
export function serverConnections(server: readonly ServerSample[], from: number, to: number): [number, number] {
  const xs = server.filter((s) => s.t >= from && s.t <= to).map((s) => s.mine);
  if (xs.length === 0) return [NaN, NaN];
  return [xs.reduce((a, b) => a + b, 0) / xs.length, Math.max(...xs)];
}

/** Most client connections on the whole server between `from` and `to` (other processes' too). */
export function serverPeak(server: readonly ServerSample[], from: number, to: number): number {
  const xs = server.filter((s) => s.t >= from && s.t <= to).map((s) => s.all);
  return xs.length ? Math.max(...xs) : NaN;
}

/**
 * 8. autoSize on the real PostgreSQL: the sweep (8a hot-row, 8b CPU-bound: fixed `max`
 * 8, 16, 32, 64 against `autoSize` under `max` 64, each run in a child process of its
 * own) and the traced runs (8c: a ramp, charted in docs/auto-size.svg, and steps in load
 * for settling). While PgPool does not accept `autoSize`, the sweep runs the fixed sizes
 * and the traces run fixed 64, with a note saying so.
 *
 * Alone: `npm run bench:auto-size [-- --smoke | --write]` prints the tables; `--write`
 * (not with --smoke) also writes the charts and replaces the sections 8a–8c at the end
 * of bench/RESULTS.md. `AUTOSIZE_ROOT=<checkout>` measures that checkout's src/.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { buildTree, type Entry } from '../build.js';
import { isMain, SMOKE, type Section } from '../lib.js';
import {
  AUTO,
  type Contender,
  FIXED,
  MEASURE_SECONDS,
  ROWS,
  RUNS,
  TRACE_SCALE,
  WARM_SECONDS,
} from '../auto-size/config.js';
import { adminClient, dropTable, makeTable } from '../auto-size/parent.js';
import { sweepRuns, sweepSection, WORKLOADS } from '../auto-size/sweep.js';
import { RAMP, STEPS, traceRun, traceSection, tracedSvg } from '../auto-size/trace.js';
import { gitRev, machineRows, sectionMarkdown } from '../report.js';

/** The charts, written by a full run (not by --smoke). */
const RAMP_SVG = new URL('../../docs/auto-size.svg', import.meta.url);
const STEPS_SVG = new URL('../../docs/auto-size-steps.svg', import.meta.url);

/**
 * lido built for this scenario alone, into a folder of this process (removed by the
 * caller): bench/build.ts's shared folder is emptied by any other bench run that starts
 * meanwhile, and the children load lido from it long after the start. From
 * `AUTOSIZE_ROOT` when set (another checkout: the same bench against its src/), else this one.
 */
async function ownBuild(): Promise<{ entries: Map<Entry, string>; dir: string; root: string }> {
  const root = process.env.AUTOSIZE_ROOT || fileURLToPath(new URL('../..', import.meta.url));
  const dir = fileURLToPath(new URL(`../../node_modules/.cache/lido-bench-autosize-${process.pid}/`, import.meta.url));
  return { entries: await buildTree(root, dir), dir, root };
}

/**
 * Why lido cannot run `autoSize`, or null when it can. Asked of the core Pool, which
 * refuses unknown options (PgPool would hand an unknown one to pg.Client unnoticed).
 */
async function autoSizeRefused(index: string): Promise<string | null> {
  const { Pool } = (await import(index)) as {
    Pool: new (o: Record<string, unknown>) => { close(): Promise<unknown> };
  };
  try {
    const factory = { create: async () => ({}), destroy: () => {} };
    await new Pool({ factory, max: AUTO.max, autoSize: true }).close();
    return null;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).replace(/ \(known: .*$/s, '');
  }
}

/** Upper bound of the scenario's run time, for run.ts's time limit. */
export function autoSizeBudgetMs(): number {
  const sweep = RUNS * WORKLOADS.length * (FIXED.length + 1) * (WARM_SECONDS + MEASURE_SECONDS + 4);
  const traces = [...RAMP, ...STEPS].reduce((a, p) => a + p.seconds, 0) + 2 * 15;
  return (sweep + traces) * 1000 + 60_000;
}

export async function autoSize(): Promise<Section[]> {
  const build = await ownBuild();
  try {
    return await scenario(build.entries, build.root);
  } finally {
    rmSync(build.dir, { recursive: true, force: true });
  }
}

async function scenario(entries: Map<Entry, string>, root: string): Promise<Section[]> {
  const entry = entries.get('pg');
  if (!entry) {
    return [
      {
        id: 'auto-size',
        title: '8. autoSize',
        columns: [],
        rows: [],
        notes: [`Skipped: no src/adapters/pg in ${root}.`],
      },
    ];
  }
  const refused = await autoSizeRefused(entries.get('index')!);
  // A smoke run checks that every part runs: the smallest and the largest fixed size are enough.
  const fixed = SMOKE ? [FIXED[0], FIXED[FIXED.length - 1]] : FIXED;
  const contenders: Contender[] = refused === null ? [...fixed, AUTO] : fixed;
  const traced = refused === null ? AUTO : FIXED[FIXED.length - 1];
  const notes = refused === null ? [] : [`autoSize not run: lido refuses the option (${refused}).`];
  const loadAtStart = loadavg()[0];
  // Other processes come and go during the run: the highest load seen says more than the ends.
  let loadPeak = loadAtStart;
  const loadTimer = setInterval(() => (loadPeak = Math.max(loadPeak, loadavg()[0])), 5_000).unref();
  const client = await adminClient();
  try {
    const table = await makeTable(client, ROWS);
    try {
      const runs = await sweepRuns({ client, entry, table, contenders });
      const ramp = await traceRun(client, { entry, table, contender: traced, label: 'ramp', phases: RAMP });
      const steps = await traceRun(client, { entry, table, contender: traced, label: 'steps', phases: STEPS });
      if (!SMOKE) {
        writeFileSync(
          RAMP_SVG,
          tracedSvg(ramp, `${traced.name}: limit and throughput, idle → spike → overload → idle`, traced.max),
        );
        writeFileSync(
          STEPS_SVG,
          tracedSvg(steps, `${traced.name}: limit and throughput, 8 → 64 → 8 callers (hot-row)`, traced.max),
        );
      }
      const machine = machineRows()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const load = `Measured ${new Date().toISOString()} at lido commit ${gitRev()} (${machine}; the database server on the same machine). Load average (1 min): ${loadAtStart.toFixed(2)} when the scenario started, ${loadavg()[0].toFixed(2)} when it ended, at most ${loadPeak.toFixed(2)} in between (read every 5 s).`;
      const scale = TRACE_SCALE === 1 ? [] : [`Trace phases scaled by ${TRACE_SCALE}.`];
      return [
        ...WORKLOADS.map((w) => sweepSection(w, contenders, runs.get(w.id)!, [...notes, load])),
        traceSection([ramp, steps], traced.name, [
          ...notes,
          ...scale,
          'Charts: docs/auto-size.svg (the ramp) and docs/auto-size-steps.svg (the steps).',
          load,
        ]),
      ];
    } finally {
      await dropTable(client, table);
    }
  } finally {
    clearInterval(loadTimer);
    await client.end();
  }
}

/** Replaces the sections from `### 8a.` on (the last ones) in RESULTS.md's text, or appends them. */
export function replaceSections(results: string, sections: Section[]): string {
  const at = results.search(/^### 8a?\. /m);
  const head = at < 0 ? results.trimEnd() + '\n\n' : results.slice(0, at);
  return head + sections.map(sectionMarkdown).join('\n');
}

if (isMain(import.meta.url)) {
  autoSize().then(
    (sections) => {
      for (const s of sections) console.log(sectionMarkdown(s));
      if (process.argv.includes('--write') && !SMOKE) {
        const file = new URL('../RESULTS.md', import.meta.url);
        writeFileSync(file, replaceSections(readFileSync(file, 'utf8'), sections));
        console.log('wrote bench/RESULTS.md (sections 8a–8c), docs/auto-size.svg, docs/auto-size-steps.svg');
      }
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}

/**
 * `npm run bench:compare -- --base=<rev>`: lido from the working tree (or `--after=<rev>`)
 * against lido from another revision, on the same machine, in pairs of runs. See
 * docs/performance.md, "Comparing two revisions", and `--help`.
 *
 * Both sides are built with the same esbuild options as the suite (build.ts): the base
 * revision from a temporary `git worktree` that reuses this tree's node_modules. Both run
 * this tree's scenario code, so a difference comes from src/ alone. Each run of a scenario
 * on each side is a process of its own (no JIT state or heap shared between the two
 * builds), and within a pair the two sides run back to back, first one and then the other
 * going first, so a slow spell of the machine weighs on both sides of a pair's ratio.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTree, type Entry } from './build.js';
import { COMPARE_USAGE, parseCompareArgs, type CompareOptions, type CompareScenario } from './compare-options.js';
import { compareMarkdown, formatFigure, METRICS, summarize, toCosts } from './compare-report.js';
import { startServer } from './http-server.js';
import { childFigures, isMain, now, type Section, tick } from './lib.js';
import { lidoSubjects, loadLido } from './pools.js';
import { gitRev, loadText, machineRows } from './report.js';
import { lidoAdapterWindows } from './scenarios/adapters.js';
import { cancellation } from './scenarios/cancel.js';
import { contended } from './scenarios/contended.js';
import { timeoutStorm } from './scenarios/storm.js';
import { uncontended } from './scenarios/uncontended.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
/**
 * Where the builds go: under node_modules, so that their imports of pg and undici resolve,
 * in a folder of this run's own (removed at the end), so that runs from several checkouts
 * sharing one node_modules never overwrite each other's builds. The folder's name holds
 * the run's pid: a later run removes the folders of runs no longer alive (an interrupt
 * can land while esbuild still writes).
 */
const CACHE = fileURLToPath(new URL('../node_modules/.cache/lido-compare/', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the build folders of earlier runs whose process is gone. */
function removeStaleRuns(): void {
  for (const name of readdirSync(CACHE)) {
    const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (pid > 0 && pid !== process.pid && !alive(pid)) rmSync(join(CACHE, name), { recursive: true, force: true });
  }
}

type SideName = 'before' | 'after';

interface Side {
  /** What was built, for the report: the revision as given, its short hash and subject. */
  label: string;
  /** The built modules' URLs (see buildTree). */
  entries: Map<Entry, string>;
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The full hash of `rev`, or an error naming the option it came from. */
function resolveRevision(option: string, rev: string): string {
  try {
    return git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch {
    throw new Error(`${option}: expected a git revision of this repository, got ${JSON.stringify(rev)}`);
  }
}

/** What the run must remove even when interrupted (the temporary worktree, the builds). */
const cleanups = new Set<() => void>();

/** Runs `fn`, then `undo`, which also runs if the process is interrupted meanwhile. */
async function withCleanup<R>(undo: () => void, fn: () => Promise<R>): Promise<R> {
  cleanups.add(undo);
  try {
    return await fn();
  } finally {
    cleanups.delete(undo);
    undo();
  }
}

function onInterrupt(signal: NodeJS.Signals): void {
  for (const undo of [...cleanups].reverse()) {
    try {
      undo();
    } catch (e) {
      console.error('bench:compare: cleanup failed:', e);
    }
  }
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** Builds lido from revision `sha` in a temporary worktree (removed afterwards) into `outdir`. */
async function buildRevision(sha: string, outdir: string): Promise<Map<Entry, string>> {
  const tmp = mkdtempSync(join(tmpdir(), 'lido-compare-'));
  const tree = join(tmp, 'tree');
  const modules = join(tree, 'node_modules');
  const undo = () => {
    // The link goes first, so that removing the worktree can never reach into node_modules.
    rmSync(modules, { force: true });
    if (existsSync(tree)) git(['worktree', 'remove', '--force', tree]);
    rmSync(tmp, { recursive: true, force: true });
  };
  return withCleanup(undo, async () => {
    git(['worktree', 'add', '--detach', '--quiet', tree, sha]);
    symlinkSync(join(ROOT, 'node_modules'), modules, 'dir');
    return await buildTree(tree, outdir);
  });
}

/** Builds one side into `dir`: a revision (through a worktree), or this working tree as it is (rev null). */
async function buildSide(option: string, rev: string | null, name: SideName, dir: string): Promise<Side> {
  const outdir = join(dir, name);
  if (rev === null) return { label: `working tree at ${gitRev()}`, entries: await buildTree(ROOT, outdir) };
  const sha = resolveRevision(option, rev);
  const short = git(['rev-parse', '--short', sha]);
  const subject = git(['log', '-1', '--format=%s', sha]);
  const title = subject.length > 72 ? `${subject.slice(0, 71)}…` : subject;
  const label = `${rev === short ? short : `${rev} (${short})`}: ${title}`;
  return { label, entries: await buildRevision(sha, outdir) };
}

/** The built entry a scenario needs on both sides. */
const NEEDS: Record<CompareScenario, Entry> = {
  uncontended: 'index',
  contended: 'index',
  storm: 'index',
  cancel: 'index',
  pg: 'pg',
  http: 'http',
};

/** One run of `scenario` on one side, in a process of its own: lido's figures, as costs. */
async function runSide(scenario: CompareScenario, side: Side, o: CompareOptions, url: string): Promise<number[]> {
  const entry = fileURLToPath(side.entries.get(NEEDS[scenario])!);
  if (scenario === 'pg' || scenario === 'http') {
    return toCosts(scenario, await lidoAdapterWindows({ kind: scenario, entry, url, windows: o.windows }));
  }
  const args = [`--child=${scenario}`, ...(o.smoke ? ['--smoke'] : [])];
  const env = { ...process.env, BENCH_LIDO_MODULE: entry };
  return toCosts(scenario, childFigures(SELF, args, { timeoutMs: 300_000, env }));
}

/** Child mode: one scenario with lido alone (BENCH_LIDO_MODULE), its figures on the last line. */
async function child(scenario: string): Promise<void> {
  const { Pool, why } = await loadLido();
  if (!Pool) throw new Error(why);
  const lido = lidoSubjects(Pool).filter((s) => s.headline);
  const runs: Partial<Record<CompareScenario, () => Promise<Section[]>>> = {
    uncontended: () => uncontended(lido),
    contended: () => contended(lido),
    storm: () => timeoutStorm(lido, { extras: false }),
    cancel: () => cancellation(lido, { extras: false }),
  };
  const run = runs[scenario as CompareScenario];
  if (!run)
    throw new Error(`--child: expected one of ${Object.keys(runs).join(', ')}, got ${JSON.stringify(scenario)}`);
  const [section] = await run();
  const row = section.rows.find((r) => r.headline);
  if (!row) throw new Error(`${scenario}: no figures for lido`);
  console.log(JSON.stringify(row.values));
}

async function main(argv: string[]): Promise<number> {
  const o = parseCompareArgs(argv);
  if (o.help) {
    console.log(COMPARE_USAGE);
    return 0;
  }
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    throw new Error('run it as `npm run bench:compare` (node --expose-gc --import tsx bench/compare.ts)');
  }
  const t0 = now();
  const load = loadavg()[0];
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  mkdirSync(CACHE, { recursive: true });
  removeStaleRuns();
  const dir = mkdtempSync(join(CACHE, `run-${process.pid}-`));
  return withCleanup(
    () => rmSync(dir, { recursive: true, force: true }),
    () => compare(o, dir, t0, load),
  );
}

/** Builds both sides into `dir`, runs the pairs, prints the report; the exit status. */
async function compare(o: CompareOptions, dir: string, t0: number, load: number): Promise<number> {
  const sides: Record<SideName, Side> = {
    before: await buildSide('--base', o.base, 'before', dir),
    after: await buildSide('--after', o.after, 'after', dir),
  };
  console.error(`before: ${sides.before.label}\nafter:  ${sides.after.label}`);

  const missing: [CompareScenario, string][] = [];
  const active = o.scenarios.filter((s) => {
    const without = (['before', 'after'] as SideName[]).filter((n) => !sides[n].entries.has(NEEDS[s]));
    if (without.length) missing.push([s, `not measured: no ${NEEDS[s]} entry in the ${without.join(' and ')} build`]);
    return without.length === 0;
  });
  const figures = new Map(active.map((s) => [s, { before: [] as number[][], after: [] as number[][] }]));
  const failed = new Set<CompareScenario>();
  const server = active.includes('http') ? await startServer() : null;
  try {
    for (let pair = 0; pair < o.pairs; pair++) {
      const order: SideName[] = pair % 2 ? ['after', 'before'] : ['before', 'after'];
      for (const scenario of active) {
        if (failed.has(scenario)) continue;
        try {
          const got: Partial<Record<SideName, number[]>> = {};
          for (const name of order) {
            // A turn of the event loop between runs: a cycle run blocks it (execFileSync), and
            // an interrupt is handled only when the loop turns.
            await tick();
            got[name] = await runSide(scenario, sides[name], o, server?.url ?? '');
          }
          figures.get(scenario)!.before.push(got.before!);
          figures.get(scenario)!.after.push(got.after!);
          const shown = METRICS[scenario].map(
            (m, k) => `${m.label} ${formatFigure(got.before![k])} → ${formatFigure(got.after![k])} ${m.unit}`,
          );
          console.error(`[pair ${pair + 1}/${o.pairs}] ${shown.join('; ')}`);
        } catch (e) {
          failed.add(scenario);
          const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
          missing.push([scenario, `failed in pair ${pair + 1} (${why}); its figures cover the pairs before`]);
          console.error(`[pair ${pair + 1}/${o.pairs}] ${scenario} FAILED:`, e);
        }
      }
    }
  } finally {
    server?.stop();
  }

  const summaries = active.flatMap((s) => {
    const { before, after } = figures.get(s)!;
    if (before.length === 0) return [];
    return METRICS[s].map((metric, k) =>
      summarize(
        metric,
        before.map((f) => f[k]),
        after.map((f) => f[k]),
      ),
    );
  });
  const about: [string, string][] = [
    ...machineRows(),
    ['before', sides.before.label],
    ['after', sides.after.label],
    ['pairs', `${o.pairs}${o.smoke ? ' (smoke: tiny counts, the figures mean nothing)' : ''}`],
    ['load average (1 min)', loadText(load)],
    ['run time', `${((now() - t0) / 1000).toFixed(0)} s`],
  ];
  console.log(compareMarkdown({ about, summaries, missing }));
  return failed.size ? 1 : 0;
}

if (isMain(import.meta.url)) {
  const childArg = process.argv.find((a) => a.startsWith('--child='));
  const done = childArg ? child(childArg.slice('--child='.length)).then(() => 0) : main(process.argv.slice(2));
  done.then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error && !childArg ? `bench:compare: ${e.message}` : e);
      process.exit(1);
    },
  );
}

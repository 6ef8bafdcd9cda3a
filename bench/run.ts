/**
 * `npm run bench`: runs every scenario, prints the tables, writes bench/RESULTS.md and
 * bench/ratios.svg (and, from the auto-size scenario, docs/auto-size*.svg). `npm run bench:smoke` (--smoke): tiny counts, writes nothing,
 * exits non-zero if any scenario fails. `--only=storm,cancel` runs some scenarios.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ratiosSvg } from './chart.js';
import { now, SMOKE, within, type Section } from './lib.js';
import { allSubjects, type Subject } from './pools.js';
import { resultsMarkdown, sectionMarkdown } from './report.js';
import { adapters } from './scenarios/adapters.js';
import { autoSize, autoSizeBudgetMs } from './scenarios/auto-size.js';
import { cancellation } from './scenarios/cancel.js';
import { contended } from './scenarios/contended.js';
import { memory } from './scenarios/memory.js';
import { scaling } from './scenarios/scaling.js';
import { timeoutStorm } from './scenarios/storm.js';
import { uncontended } from './scenarios/uncontended.js';

/** Name, run, and (optional) time limit of a full run in ms (default 180 s). */
const SCENARIOS: [string, (s: Subject[]) => Promise<Section[]>, number?][] = [
  ['uncontended', uncontended],
  ['contended', contended],
  ['storm', timeoutStorm],
  ['cancel', cancellation],
  ['memory', memory],
  ['scaling', scaling],
  ['adapters', () => adapters()],
  ['auto-size', () => autoSize(), autoSizeBudgetMs()],
];

/**
 * Kills the whole process if the run takes far too long. A timer on the main thread
 * cannot do it when a pool under test spins synchronously or in microtasks; a worker
 * thread can, so CI gets a failure instead of a hang.
 */
function watchdog(ms: number): void {
  const code = `setTimeout(() => {
    require('node:fs').writeSync(2, 'bench watchdog: no result after ${ms / 1000} s, killing the run\\n');
    process.kill(process.pid, 'SIGKILL');
  }, ${ms});`;
  new Worker(code, { eval: true }).unref();
}

const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');

async function main(): Promise<number> {
  const t0 = now();
  const load = loadavg()[0];
  watchdog(SMOKE ? 180_000 : 900_000 + autoSizeBudgetMs());
  const { subjects, note } = await allSubjects();
  console.log(
    `lido bench${SMOKE ? ' (smoke)' : ''}: ${subjects.map((s) => s.name).join(', ')}; Node ${process.version}; load ${load.toFixed(2)}`,
  );
  if (note) console.log(`NOTE: ${note}`);
  const sections: Section[] = [];
  const failed: string[] = [];
  for (const [name, run, limitMs = 180_000] of SCENARIOS) {
    if (only && !only.includes(name)) continue;
    const t = now();
    try {
      const secs = await within(SMOKE ? 60_000 : limitMs, `scenario ${name}`, run(subjects));
      for (const s of secs) console.log('\n' + sectionMarkdown(s));
      sections.push(...secs);
      console.log(`(${name}: ${((now() - t) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed.push(name);
      console.error(`\nscenario ${name} FAILED:`, e);
    }
  }
  const seconds = (now() - t0) / 1000;
  console.log(`\ntotal ${seconds.toFixed(1)} s`);
  if (failed.length) {
    console.error(`failed scenarios: ${failed.join(', ')}`);
    return 1;
  }
  if (SMOKE || only) {
    console.log(SMOKE ? 'smoke run: RESULTS.md not written' : '--only: RESULTS.md not written');
  } else {
    if (note) sections.unshift({ id: 'note', title: 'Note', columns: [], rows: [], notes: [note] });
    writeFileSync(new URL('./RESULTS.md', import.meta.url), resultsMarkdown(sections, seconds, load));
    writeFileSync(new URL('./ratios.svg', import.meta.url), ratiosSvg(sections));
    console.log('wrote bench/RESULTS.md and bench/ratios.svg');
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

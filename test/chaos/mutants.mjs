#!/usr/bin/env node
/**
 * Breaks each guarantee of the core on purpose, one at a time, in a scratch copy of the
 * repository (never in place), runs the property and chaos suites against it and prints
 * which tests caught it. Opt-in (several minutes; not part of `npm test`):
 *
 *   node test/chaos/mutants.mjs            # every mutant
 *   node test/chaos/mutants.mjs M3 M8      # some
 *
 * Each mutant is a literal replacement in one source file. A mutant whose text is not
 * found exactly once stops the run with an error (the source moved on: update it here).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Each mutant breaks one guarantee: `breaks` names it, `how` says what the mutant does to
 * the code. `from` must occur exactly once in `file` (see {@link mutate}); update it here
 * when the source moves on. test/chaos/mutants.test.ts checks every mutant against the
 * current source on each CI run.
 */
export const mutants = [
  {
    id: 'M1',
    breaks: 'never more than max',
    how: 'dispatch creates while live + creating <= max (not < max)',
    file: 'src/core/supply.ts',
    from: 'state.live + creator.creating + closing < state.limit &&',
    to: 'state.live + creator.creating + closing <= state.limit &&',
  },
  {
    id: 'M2',
    breaks: 'never one resource in two leases',
    how: 'taking an idle resource leaves it in the idle list',
    file: 'src/core/containers/idle-list.ts',
    from: 'return this.#list.take(this.#lifo);',
    to: 'return this.#lifo ? this.#list.tail : this.#list.head;',
  },
  {
    id: 'M3',
    breaks: 'nothing lost (a resource meant for a waiter that left goes to the next one)',
    how: 'an aborted waiter is rejected but stays in the queue',
    file: 'src/core/waiting.ts',
    from: 'if (!w.queued) return;\n      this.#state.waiters.remove(w);',
    to: 'if (!w.queued) return;',
  },
  {
    id: 'M4',
    breaks: 'nothing pending after close',
    how: 'close() leaves waiters queued',
    file: 'src/core/close.ts',
    from: 'waiting.failAll(closedError, () => withoutStack(() => report.closedError()));',
    to: '',
  },
  {
    id: 'M5',
    breaks: 'each created resource destroyed exactly once',
    how: 'a resource delivered after its create was abandoned is never destroyed',
    file: 'src/core/retirement.ts',
    from: "this.#state.counters.destroyedFor(this.#state.closed ? 'closed' : 'error');\n    this.#callDestroy(resource, false);",
    to: "this.#state.counters.destroyedFor(this.#state.closed ? 'closed' : 'error');",
  },
  {
    id: 'M6',
    breaks: 'each created resource destroyed exactly once',
    how: 'close() does not destroy idle resources',
    file: 'src/core/close.ts',
    from: "for (const s of state.idle.toArray()) retirement.destroy(s, 'closed', 'pool closed');",
    to: '',
  },
  {
    id: 'M7',
    breaks: 'no spinning on failure',
    how: 'a failed create backs off 0 ms',
    file: 'src/core/util/backoff.ts',
    from: 'const delay = ceiling / 2 + (this.random() * ceiling) / 2;',
    to: 'const delay = 0 * ceiling;',
  },
  {
    id: 'M8',
    breaks: 'no stall after failure (retries resume)',
    how: 'a retry timer that fires early is not re-armed',
    file: 'src/core/creator.ts',
    from: 'if (left > 0) this.#retryIn(left);\n        else this.#host.retry();',
    to: 'this.#host.retry();',
  },
  {
    id: 'M9',
    breaks: 'O(1) removal on timeout/abort',
    how: 'removing a waiter first walks the queue to find it',
    file: 'src/core/containers/waiters.ts',
    from: 'if (!w.queued) return;\n    w.queued = false;',
    to: 'if (!w.queued) return;\n    for (let x = this.#head; x !== null && x !== w; x = x.next);\n    w.queued = false;',
  },
  {
    id: 'M10',
    breaks: 'FIFO fairness',
    how: 'the newest waiter is served first',
    file: 'src/core/containers/waiters.ts',
    from: 'const w = this.#head;\n    if (w !== null) this.remove(w);',
    to: 'const w = this.#tail;\n    if (w !== null) this.remove(w);',
  },
  {
    id: 'M11',
    breaks: 'timeouts say why (cause = last create error)',
    how: 'acquire timeouts carry no cause',
    file: 'src/core/waiting.ts',
    from: 'const cause = this.#creator.lastError?.cause;',
    to: 'const cause = undefined;',
  },
  {
    id: 'M12',
    breaks: 'timeouts happen at the deadline',
    how: 'waiters time out 1 ms early',
    file: 'src/core/waiting.ts',
    from: 'const expired = state.waiters.takeExpired(now);',
    to: 'const expired = state.waiters.takeExpired(now + 1);',
  },
  {
    id: 'M13',
    breaks: 'dead resources are evicted at once (watch)',
    how: 'an idle resource reported dead stays idle',
    file: 'src/core/retirement.ts',
    from: "if (s.state === SlotState.Idle) {\n      this.destroy(s, 'error', s.broken);",
    to: "if (s.state === -1) {\n      this.destroy(s, 'error', s.broken);",
  },
  {
    id: 'M14',
    breaks: 'stats agree with the truth',
    how: 'stats.pending counts resources being checked as waiters',
    file: 'src/stats/snapshot.ts',
    from: 'pending: c.pending,',
    to: 'pending: c.pending + state.checking,',
  },
  {
    id: 'M15',
    breaks: 'a failed reset or validation never lends the resource',
    how: 'a failed validation hands the resource out anyway',
    file: 'src/core/checks.ts',
    from: '(ok) => ok === true,',
    to: '(ok) => ok === true || true,',
  },
  {
    id: 'M16',
    breaks: 'never more than max (keepalive after a shrink)',
    how: 'a keepalive ping ending above max idles the resource',
    file: 'src/core/checks.ts',
    from: '!state.closed && state.live <= state.limit) {',
    to: '!state.closed) {',
  },
  {
    id: 'M17',
    breaks: 'stats agree / nothing lost (an expired idle resource)',
    how: 'an expired idle resource taken by acquire is unlinked from the idle list again',
    file: 'src/core/supply.ts',
    from: "      s.state = SlotState.Checking;\n      this.#retirement.destroy(s, 'lifetime', 'max lifetime reached');\n      return false;",
    to: "      this.#retirement.destroy(s, 'lifetime', 'max lifetime reached');\n      return false;",
  },
  {
    id: 'M18',
    breaks: 'never one resource destroyed under its lease (deadlines)',
    how: 'a deadline that comes due retires a resource that is lent (its key was from an earlier idle spell)',
    file: 'src/core/deadlines.ts',
    from: 'if (s.state === SlotState.Idle) retired = this.#due(s, now) || retired;',
    to: 'retired = this.#due(s, now) || retired;',
  },
  {
    id: 'M19',
    breaks: 'never more than max, counting resources still closing',
    how: 'dispatch leaves destroys not yet settled out of the count',
    file: 'src/core/supply.ts',
    from: 'const closing = this.#retirement.closing;',
    to: 'const closing = 0;',
  },
  {
    id: 'M20',
    breaks: 'every destroy has exactly one reason',
    how: 'a destroy is counted without a reason',
    file: 'src/core/retirement.ts',
    from: '    state.counters.destroyedFor(reason);',
    to: '    state.counters.destroyed++;',
  },
];

/** `src` with `m` applied; throws unless `m.from` occurs exactly once in it (a stale mutant must never pass silently). */
export function mutate(src, m) {
  const at = src.indexOf(m.from);
  if (at === -1) throw new Error(`${m.id}: target text not found in ${m.file} (update the mutant to the source)`);
  if (src.indexOf(m.from, at + 1) !== -1) throw new Error(`${m.id}: target text found more than once in ${m.file}`);
  return src.slice(0, at) + m.to + src.slice(at + m.from.length);
}

/** Runs vitest in `dir`; the failed tests, or null when it did not finish within `ms` (then its whole process group is killed). */
async function suite(dir, args, ms) {
  const report = path.join(dir, 'report.json');
  fs.rmSync(report, { force: true });
  const vitest = path.join(dir, 'node_modules', 'vitest', 'vitest.mjs');
  const child = spawn(
    process.execPath,
    // mutants.test.ts checks that the mutants apply to the source: against a mutated copy it
    // fails by construction, so it is left out.
    [
      vitest,
      'run',
      ...args,
      '--exclude=test/chaos/mutants.test.ts',
      '--reporter=json',
      `--outputFile=${report}`,
      '--testTimeout=60000',
    ],
    {
      cwd: dir,
      stdio: 'ignore',
      detached: true,
      env: { ...process.env, CI: '' },
    },
  );
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL'); // vitest and its workers: a hung worker ignores gentler signals
    } catch {}
  }, ms);
  await new Promise((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  if (timedOut || !fs.existsSync(report)) return null;
  const json = JSON.parse(fs.readFileSync(report, 'utf8'));
  const failed = [];
  for (const f of json.testResults) {
    for (const t of f.assertionResults)
      if (t.status === 'failed') failed.push(`${path.relative(dir, f.name)}: ${t.title}`);
    if (f.assertionResults.length === 0 && f.status === 'failed')
      failed.push(`${path.relative(dir, f.name)}: (failed to load: ${f.message})`);
  }
  return failed;
}

async function run(ids) {
  const chosen = ids.length === 0 ? mutants : mutants.filter((m) => ids.includes(m.id));
  const rows = [];
  for (const m of chosen) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lido-${m.id}-`));
    execFileSync('sh', ['-c', `git -C "${repo}" archive HEAD | tar -x -C "${dir}"`]);
    fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
    const file = path.join(dir, m.file);
    try {
      fs.writeFileSync(file, mutate(fs.readFileSync(file, 'utf8'), m));
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const started = Date.now();
    let failed = await suite(dir, ['--project', 'property', '--project', 'chaos'], 300_000);
    if (failed === null) {
      // A hang (a loop that never yields) stops the whole run: run file by file to see which tests catch it.
      failed = [];
      const files = ['test/property', 'test/chaos'].flatMap((d) =>
        fs
          .readdirSync(path.join(dir, d))
          .filter((f) => f.endsWith('.test.ts') && f !== 'mutants.test.ts')
          .map((f) => `${d}/${f}`),
      );
      for (const f of files) failed.push(...((await suite(dir, [f], 150_000)) ?? [`${f}: hung (killed after 150 s)`]));
    }
    rows.push({
      ...m,
      caught: failed.length === 0 ? 'NOT CAUGHT' : failed.join('\n    '),
      seconds: Math.round((Date.now() - started) / 1000),
    });
    console.log(`${m.id} breaks ${m.breaks}: ${m.how} (${rows.at(-1).seconds} s)\n    ${rows.at(-1).caught}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ids = process.argv.slice(2);
  // Every chosen mutant must apply before any suite runs: a stale one fails the run at once.
  // (Checked against HEAD, which the scratch copies are made from.)
  for (const m of mutants.filter((x) => ids.length === 0 || ids.includes(x.id)))
    mutate(execFileSync('git', ['-C', repo, 'show', `HEAD:${m.file}`], { encoding: 'utf8' }), m);
  const rows = await run(ids);
  console.log('\n| mutant | breaks | caught by |\n|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.id} | ${r.breaks} | ${r.caught.split('\n')[0]}${r.caught.includes('\n') ? ' (and more)' : ''} |`,
    );
  const missed = rows.filter((r) => r.caught === 'NOT CAUGHT');
  process.exitCode = missed.length === 0 ? 0 : 1;
}

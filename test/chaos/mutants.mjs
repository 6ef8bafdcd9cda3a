#!/usr/bin/env node
/**
 * Breaks each guarantee of the core on purpose, one at a time, in a scratch copy of the
 * repository (never in place), runs the property and chaos suites against it and prints
 * which tests caught it. Opt-in (several minutes; not part of `npm test`):
 *
 *   node test/chaos/mutants.mjs            # every mutant
 *   node test/chaos/mutants.mjs M3 M8      # some
 *
 * Each mutant is a literal replacement in one source file; a mutant whose text is no
 * longer found is reported as stale (the source moved on: update it here).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const mutants = [
  {
    id: 'M1',
    guarantee: 'never more than max',
    what: 'dispatch creates while live + creating <= max (not < max)',
    file: 'src/core/pool.ts',
    from: 'this.#live + creator.creating < o.max &&',
    to: 'this.#live + creator.creating <= o.max &&',
  },
  {
    id: 'M2',
    guarantee: 'never one resource in two leases',
    what: 'taking an idle resource leaves it in the idle list',
    file: 'src/core/containers/idle-list.ts',
    from: 'return this.#list.take(this.#lifo);',
    to: 'return this.#lifo ? this.#list.tail : this.#list.head;',
  },
  {
    id: 'M3',
    guarantee: 'nothing lost (a resource meant for a waiter that left goes to the next one)',
    what: 'an aborted waiter is rejected but stays in the queue',
    file: 'src/core/pool.ts',
    from: 'if (!w.queued) return;\n          this.#waiters.remove(w);',
    to: 'if (!w.queued) return;',
  },
  {
    id: 'M4',
    guarantee: 'nothing pending after close',
    what: 'close() leaves waiters queued',
    file: 'src/core/pool.ts',
    from: 'for (const w of this.#waiters.drain()) this.#fail(w, closedError);',
    to: '',
  },
  {
    id: 'M5',
    guarantee: 'each created resource destroyed exactly once',
    what: 'a resource delivered after its create was abandoned is never destroyed',
    file: 'src/core/pool.ts',
    from: 'this.#counters.destroyed++;\n    this.#callDestroy(resource);',
    to: 'this.#counters.destroyed++;',
  },
  {
    id: 'M6',
    guarantee: 'each created resource destroyed exactly once',
    what: 'close() does not destroy idle resources',
    file: 'src/core/pool.ts',
    from: "for (const s of this.#idle.toArray()) this.#destroy(s, 'pool closed');",
    to: '',
  },
  {
    id: 'M7',
    guarantee: 'no spinning on failure',
    what: 'a failed create backs off 0 ms',
    file: 'src/core/util/backoff.ts',
    from: 'const delay = ceiling / 2 + (this.random() * ceiling) / 2;',
    to: 'const delay = 0 * ceiling;',
  },
  {
    id: 'M8',
    guarantee: 'no stall after failure (retries resume)',
    what: 'a retry timer that fires early is not re-armed (the bug fixed in creator.ts)',
    file: 'src/core/creator.ts',
    from: 'if (left > 0) this.#retryIn(left);\n      else this.host.retry();',
    to: 'this.host.retry();',
  },
  {
    id: 'M9',
    guarantee: 'O(1) removal on timeout/abort',
    what: 'removing a waiter first walks the queue to find it',
    file: 'src/core/containers/waiters.ts',
    from: 'if (!w.queued) return;\n    w.queued = false;',
    to: 'if (!w.queued) return;\n    for (let x = this.#head; x !== null && x !== w; x = x.next);\n    w.queued = false;',
  },
  {
    id: 'M10',
    guarantee: 'FIFO fairness',
    what: 'the newest waiter is served first',
    file: 'src/core/containers/waiters.ts',
    from: 'const w = this.#head;\n    if (w !== null) this.remove(w);',
    to: 'const w = this.#tail;\n    if (w !== null) this.remove(w);',
  },
  {
    id: 'M11',
    guarantee: 'timeouts say why (cause = last create error)',
    what: 'acquire timeouts carry no cause',
    file: 'src/core/pool.ts',
    from: 'const cause = this.#creator.lastError?.cause;',
    to: 'const cause = undefined;',
  },
  {
    id: 'M12',
    guarantee: 'timeouts happen at the deadline',
    what: 'waiters time out 1 ms early',
    file: 'src/core/pool.ts',
    from: 'const expired = this.#waiters.takeExpired(now);',
    to: 'const expired = this.#waiters.takeExpired(now + 1);',
  },
  {
    id: 'M13',
    guarantee: 'dead resources are evicted at once (watch)',
    what: 'an idle resource reported dead stays idle',
    file: 'src/core/pool.ts',
    from: 'if (s.state === SlotState.Idle) {\n      this.#destroy(s, s.broken);',
    to: 'if (s.state === -1) {\n      this.#destroy(s, s.broken);',
  },
  {
    id: 'M14',
    guarantee: 'stats agree with the truth',
    what: 'stats.pending counts resources being checked as waiters',
    file: 'src/core/pool.ts',
    from: 'pending: this.#waiters.length,\n      creating: this.#creator.creating,\n      checking',
    to: 'pending: this.#waiters.length + this.#checking,\n      creating: this.#creator.creating,\n      checking',
  },
  {
    id: 'M15',
    guarantee: 'a failed reset or validation never lends the resource',
    what: 'a failed validation hands the resource out anyway',
    file: 'src/core/pool.ts',
    from: '(ok) => ok === true,\n      (e) => {\n        this.#report(e instanceof ValidationError',
    to: '(ok) => ok === true || true,\n      (e) => {\n        this.#report(e instanceof ValidationError',
  },
  {
    id: 'M16',
    guarantee: 'never more than max (bug fixed: keepalive after a shrink)',
    what: 'a keepalive ping ending above max idles the resource',
    file: 'src/core/pool.ts',
    from: '!this.#closed && this.#live <= this.#o.max) {',
    to: '!this.#closed) {',
  },
  {
    id: 'M17',
    guarantee: 'stats agree / nothing lost (bug fixed: expired idle resource)',
    what: 'an expired idle resource taken by acquire is unlinked from the idle list again',
    file: 'src/core/pool.ts',
    from: "      s.state = SlotState.Checking;\n      this.#destroy(s, 'max lifetime reached');\n      return false;",
    to: "      this.#destroy(s, 'max lifetime reached');\n      return false;",
  },
  {
    id: 'M18',
    guarantee: 'never one resource in two leases (bug fixed: sweep re-entrancy)',
    what: 'a sweep retires a resource a listener borrowed since its snapshot',
    file: 'src/core/housekeeper.ts',
    from: 'if (slot.state !== SlotState.Idle) continue;',
    to: '',
  },
];

/** Runs vitest in `dir`; the failed tests, or null when it did not finish within `ms` (then its whole process group is killed). */
async function suite(dir, args, ms) {
  const report = path.join(dir, 'report.json');
  fs.rmSync(report, { force: true });
  const vitest = path.join(dir, 'node_modules', 'vitest', 'vitest.mjs');
  const child = spawn(
    process.execPath,
    [vitest, 'run', ...args, '--reporter=json', `--outputFile=${report}`, '--testTimeout=60000'],
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
    const src = fs.readFileSync(file, 'utf8');
    if (!src.includes(m.from)) {
      rows.push({ ...m, caught: 'STALE: text not found' });
      fs.rmSync(dir, { recursive: true, force: true });
      continue;
    }
    fs.writeFileSync(file, src.replace(m.from, m.to));
    const started = Date.now();
    let failed = await suite(dir, ['--project', 'property', '--project', 'chaos'], 300_000);
    if (failed === null) {
      // A hang (a loop that never yields) stops the whole run: run file by file to see which tests catch it.
      failed = [];
      const files = ['test/property', 'test/chaos'].flatMap((d) =>
        fs
          .readdirSync(path.join(dir, d))
          .filter((f) => f.endsWith('.test.ts'))
          .map((f) => `${d}/${f}`),
      );
      for (const f of files) failed.push(...((await suite(dir, [f], 150_000)) ?? [`${f}: hung (killed after 150 s)`]));
    }
    rows.push({
      ...m,
      caught: failed.length === 0 ? 'NOT CAUGHT' : failed.join('\n    '),
      seconds: Math.round((Date.now() - started) / 1000),
    });
    console.log(`${m.id} ${m.guarantee} — ${m.what} (${rows.at(-1).seconds} s)\n    ${rows.at(-1).caught}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await run(process.argv.slice(2));
  const missed = rows.filter((r) => r.caught === 'NOT CAUGHT' || r.caught.startsWith('STALE'));
  process.exitCode = missed.length === 0 ? 0 : 1;
}

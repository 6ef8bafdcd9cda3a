/**
 * CPU profile of one lido workload, summarised by function:
 *
 *   node --import tsx bench/profile.ts [uncontended|contended|storm|cancel] [seconds]
 *   node --import tsx bench/profile.ts some.cpuprofile      (summarise an existing profile)
 *
 * Runs the workload in a child process under `--cpu-prof`, then prints self time per
 * function (lido's src/ functions marked) and the totals per file. The raw
 * .cpuprofile is kept (path printed) for Chrome DevTools or speedscope.
 * lido is the esbuild bundle of src/ (see build.ts); BENCH_LIDO_MODULE=src/index.ts
 * profiles the TypeScript through tsx instead (per-file figures, plus tsx's overhead).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLido, type LidoPool } from './pools.js';

const WORKLOADS = ['uncontended', 'contended', 'storm', 'cancel'] as const;
type Workload = (typeof WORKLOADS)[number];

async function workload(kind: Workload, seconds: number): Promise<void> {
  const { Pool, why } = await loadLido();
  if (!Pool) throw new Error(why);
  const make = (o: Record<string, unknown> = {}): LidoPool =>
    new Pool({ factory: { create: async () => ({}), destroy() {} }, max: 10, ...o });
  const stop = Date.now() + seconds * 1000;
  let cycles = 0;
  if (kind === 'uncontended') {
    const pool = make();
    while (Date.now() < stop) {
      for (let i = 0; i < 10_000; i++) (await pool.acquire()).release();
      cycles += 10_000;
    }
    await pool.close();
  } else if (kind === 'contended') {
    const pool = make();
    const borrower = async () => {
      while (Date.now() < stop) {
        const lease = await pool.acquire();
        await null;
        lease.release();
        cycles++;
      }
    };
    await Promise.all(Array.from({ length: 100 }, borrower));
    await pool.close();
  } else {
    while (Date.now() < stop) {
      const pool = make({ max: 1, acquireTimeoutMs: 100 });
      const held = await pool.acquire();
      const n = 20_000;
      const waits: Promise<unknown>[] = [];
      const acs: AbortController[] = [];
      for (let i = 0; i < n; i++) {
        const ac = new AbortController();
        acs.push(ac);
        waits.push(
          pool.acquire(kind === 'cancel' ? { signal: ac.signal, timeoutMs: 60_000 } : undefined).catch(() => {}),
        );
      }
      if (kind === 'cancel') for (let i = n - 1; i >= 0; i -= 2) acs[i].abort();
      if (kind === 'cancel') for (let i = 0; i < n; i += 2) acs[i].abort();
      await Promise.all(waits);
      held.release();
      await pool.close();
      cycles += n;
    }
  }
  console.log(`${kind}: ${cycles.toLocaleString('en')} operations in ${seconds} s`);
}

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function summarise(file: string): void {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const perFile = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    const f = byId.get(id)!.callFrame;
    const url = f.url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '');
    const where = url ? `${url.replace(/^.*node_modules\//, '')}:${f.lineNumber + 1}` : '(native)';
    const key = `${f.functionName || '(anonymous)'}  ${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const fileKey = url.includes('.cache/lido-bench/')
      ? 'lido (built bundle)'
      : url.startsWith('src/')
        ? url
        : url.startsWith('node:')
          ? 'node internals'
          : url
            ? 'other JS (bench, tsx)'
            : f.functionName.startsWith('(')
              ? f.functionName
              : 'native/builtins';
    perFile.set(fileKey, (perFile.get(fileKey) ?? 0) + dt);
    total += dt;
  });
  const pct = (us: number) => ((100 * us) / total).toFixed(1).padStart(5) + '%';
  console.log(`\ntotal sampled: ${(total / 1000).toFixed(0)} ms\n\nself time by file/category:`);
  for (const [k, v] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pct(v)}  ${k}`);
  console.log('\ntop functions by self time (* = lido):');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`  ${pct(v)} ${/ (src\/|\.cache\/lido-bench\/)/.test(k) ? '*' : ' '} ${k}`);
  }
  console.log(`\nprofile: ${file}`);
}

const [kind = 'uncontended', secs = '5'] = process.argv.slice(2).filter((a) => a !== '--child');
if (kind.endsWith('.cpuprofile')) {
  summarise(kind); // an existing profile, e.g. from `node --cpu-prof --import tsx bench/scenarios/scaling.ts lido 10 100010`
  process.exit(0);
}
if (!WORKLOADS.includes(kind as Workload)) throw new Error(`workload: one of ${WORKLOADS.join(', ')}`);
if (process.argv.includes('--child')) {
  await workload(kind as Workload, Number(secs));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'lido-prof-'));
  const self = fileURLToPath(import.meta.url);
  execFileSync(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-dir', dir, '--import', 'tsx', self, kind, secs, '--child'],
    { stdio: 'inherit' },
  );
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  summarise(join(dir, file));
}

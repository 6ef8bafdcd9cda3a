/**
 * HttpPool against undici's Agent as in section 7b of adapters.ts (GET on a node:http
 * server in a child process, 64 callers, 10 connections), in one process, alternating
 * rounds, with the client's CPU time per request (process.cpuUsage) next to req/s and
 * latency. For iterating on lido/http; `npm run bench` stays the reference.
 *
 *   node --import tsx bench/http-profile.ts [rounds] [seconds] [--only=lido|agent|keyed-lido]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/http-profile.ts 1 5 --only=lido
 *
 * lido is bundled by esbuild as bench/build.ts does, into a directory of its own (so a
 * concurrent `npm run bench` is not disturbed). `--origin` also runs HttpPool with the
 * server listed in `origins` (its own Pool rather than the KeyedPool); `--agent-first` runs
 * the Agent first in the first round (the first contender warms undici's Client for all).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Agent, request, type Dispatcher } from 'undici';

const CALLERS = 64;
const MAX = 10;
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const ROUNDS = Number(args[0] ?? 5);
const SECONDS = Number(args[1] ?? 1);
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const withOrigin = process.argv.includes('--origin');

async function lidoHttp(): Promise<new (o: Record<string, unknown>) => Dispatcher> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const out = fileURLToPath(new URL('../node_modules/.cache/lido-http-profile/', import.meta.url));
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: { http: root + 'src/adapters/http/index.ts' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    outdir: out,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  return ((await import(pathToFileURL(`${out}http.mjs`).href)) as { HttpPool: new (o: Record<string, unknown>) => Dispatcher }).HttpPool;
}

async function startServer(): Promise<{ url: string; stop(): void }> {
  const code = `require('node:http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', function () { console.log(this.address().port) })`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (c) => reject(new Error(`HTTP server exited with ${c}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill() };
}

interface Figures {
  rps: number;
  p99: number;
  p50: number;
  cpuUs: number;
}

async function load(op: () => Promise<unknown>, seconds: number): Promise<Figures> {
  const lat: number[] = [];
  const stop = performance.now() + seconds * 1000;
  const caller = async (): Promise<void> => {
    while (performance.now() < stop) {
      const t = performance.now();
      await op();
      lat.push(performance.now() - t);
    }
  };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, caller));
  const secs = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  lat.sort((a, b) => a - b);
  const at = (q: number): number => lat[Math.min(lat.length - 1, Math.floor(lat.length * q))]!;
  return { rps: lat.length / secs, p99: at(0.99), p50: at(0.5), cpuUs: (c.user + c.system) / lat.length };
}

const med = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const HttpPool = await lidoHttp();
  const server = await startServer();
  const origin = server.url.slice(0, -1);
  const contenders: [string, Dispatcher][] = [];
  const want = (n: string): boolean => only === undefined || only.includes(n);
  if (want('lido')) contenders.push(['lido', new HttpPool({ max: MAX })]);
  if (withOrigin) contenders.push(['lido-origin', new HttpPool({ max: MAX, origins: { [origin]: {} } })]);
  if (want('agent')) contenders.push(['agent', new Agent({ connections: MAX })]);
  if (process.argv.includes('--agent-first')) contenders.reverse();
  const ops = contenders.map(([name, dispatcher]) => [name, async () => (await request(server.url, { dispatcher })).body.text()] as const);
  try {
    for (const [, op] of ops) for (let i = 0; i < 200; i++) await op();
    const all = new Map<string, Figures[]>(ops.map(([n]) => [n, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, op] of r % 2 ? [...ops].reverse() : ops) {
        const f = await load(op, SECONDS);
        all.get(name)!.push(f);
        console.error(`round ${r} ${name.padEnd(12)} ${f.rps.toFixed(0).padStart(6)} req/s  p99 ${f.p99.toFixed(2)} ms  p50 ${f.p50.toFixed(2)} ms  cpu ${f.cpuUs.toFixed(1)} µs/req`);
      }
    }
    for (const [name, fs] of all) {
      console.log(`${name.padEnd(12)} median: ${med(fs.map((f) => f.rps)).toFixed(0).padStart(6)} req/s  p99 ${med(fs.map((f) => f.p99)).toFixed(2)} ms  p50 ${med(fs.map((f) => f.p50)).toFixed(2)} ms  cpu ${med(fs.map((f) => f.cpuUs)).toFixed(1)} µs/req`);
    }
  } finally {
    for (const [, d] of contenders) await d.close();
    server.stop();
  }
}

await main();

/**
 * HttpPool against undici's Agent as in section 7b of adapters.ts (GET on a node:http
 * server in a child process, 64 callers, 10 connections), in one process, alternating
 * rounds, with the client's CPU time per request (process.cpuUsage) next to req/s and
 * latency. For iterating on lido/http; `npm run bench` stays the reference.
 *
 *   node --import tsx bench/http-profile.ts [rounds] [seconds] [--only=lido,agent,agent2]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/http-profile.ts 1 5 --only=lido
 *
 * lido is bundled by esbuild as bench/build.ts does, into a directory of its own (so a
 * concurrent `npm run bench` is not disturbed). `--origin` also runs HttpPool with the
 * server listed in `origins` (its own Pool rather than the KeyedPool); `--agent-first` runs
 * the Agent first in the first round (the first contender warms undici's Client for all).
 *
 *   node --import tsx bench/http-profile.ts --fake [rounds]
 *
 * measures the pools alone: HttpPool and undici's Agent over a fake undici Client that
 * answers every request on the next setImmediate (no socket, no HTTP parsing), 64
 * callers, 10 connections, CPU time per request. `SRC=/path/to/src` builds lido from
 * another checkout (an A/B against an older commit: `git archive <commit> src | tar -x -C /tmp/old`).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundle } from './build.js';
import { startServer } from './http-server.js';
import { closedLoop, median, quantile } from './lib.js';
import { EventEmitter } from 'node:events';
import { Agent, Dispatcher, Pool, errors, request } from 'undici';

const CALLERS = 64;
const MAX = 10;
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const ROUNDS = Number(args[0] ?? 5);
const SECONDS = Number(args[1] ?? 1);
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const withOrigin = process.argv.includes('--origin');

async function lidoHttp(): Promise<new (o: Record<string, unknown>) => Dispatcher> {
  const src = process.env.SRC || fileURLToPath(new URL('../src', import.meta.url));
  const out = fileURLToPath(
    new URL(`../node_modules/.cache/lido-http-profile${process.env.SRC ? '-ab' : ''}/`, import.meta.url),
  );
  rmSync(out, { recursive: true, force: true });
  await bundle({ http: `${src}/adapters/http/index.ts` }, out);
  return (
    (await import(pathToFileURL(`${out}http.mjs`).href)) as { HttpPool: new (o: Record<string, unknown>) => Dispatcher }
  ).HttpPool;
}

interface Figures {
  rps: number;
  p99: number;
  p50: number;
  cpuUs: number;
  /** GC pauses per request (µs) and the longest pause (ms). */
  gcUs: number;
  gcMax: number;
}

let gcTotal = 0;
let gcMax = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcTotal += e.duration;
    gcMax = Math.max(gcMax, e.duration);
  }
}).observe({ entryTypes: ['gc'] });

async function load(op: () => Promise<unknown>, seconds: number): Promise<Figures> {
  await new Promise((r) => setTimeout(r, 10)); // the observer hears of earlier pauses (a forced gc()) before the count starts
  const c0 = process.cpuUsage();
  gcTotal = gcMax = 0;
  const { lat, secs } = await closedLoop(op, CALLERS, seconds);
  await new Promise((r) => setImmediate(r)); // the observer hears of the last pauses
  const c = process.cpuUsage(c0);
  lat.sort((a, b) => a - b);
  return {
    rps: lat.length / secs,
    p99: quantile(lat, 0.99),
    p50: quantile(lat, 0.5),
    cpuUs: (c.user + c.system) / lat.length,
    gcUs: (gcTotal * 1000) / lat.length,
    gcMax,
  };
}

async function main(): Promise<void> {
  const HttpPool = await lidoHttp();
  const server = await startServer();
  const origin = server.url.slice(0, -1);
  const contenders: [string, Dispatcher][] = [];
  const want = (n: string): boolean => only === undefined || only.includes(n);
  if (want('lido')) contenders.push(['lido', new HttpPool({ max: MAX })]);
  if (withOrigin) contenders.push(['lido-origin', new HttpPool({ max: MAX, origins: { [origin]: {} } })]);
  if (want('agent')) contenders.push(['agent', new Agent({ connections: MAX })]);
  // Two identical Agents: what the position in a round alone does to the figures.
  if (only?.includes('agent2')) contenders.push(['agent2', new Agent({ connections: MAX })]);
  if (process.argv.includes('--agent-first')) contenders.reverse();
  const ops = contenders.map(
    ([name, dispatcher]) => [name, async () => (await request(server.url, { dispatcher })).body.text()] as const,
  );
  try {
    for (const [, op] of ops) for (let i = 0; i < 200; i++) await op();
    const all = new Map<string, Figures[]>(ops.map(([n]) => [n, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, op] of r % 2 ? [...ops].reverse() : ops) {
        (globalThis as { gc?: () => void }).gc?.(); // with --expose-gc, as bench/run.ts does before each measurement
        const f = await load(op, SECONDS);
        all.get(name)!.push(f);
        console.error(
          `round ${r} ${name.padEnd(12)} ${f.rps.toFixed(0).padStart(6)} req/s  p99 ${f.p99.toFixed(2)} ms  p50 ${f.p50.toFixed(2)} ms  cpu ${f.cpuUs.toFixed(1)} µs/req  gc ${f.gcUs.toFixed(2)} µs/req (max ${f.gcMax.toFixed(1)} ms)`,
        );
      }
    }
    for (const [name, fs] of all) {
      console.log(
        `${name.padEnd(12)} median: ${median(fs.map((f) => f.rps))
          .toFixed(0)
          .padStart(
            6,
          )} req/s  p99 ${median(fs.map((f) => f.p99)).toFixed(2)} ms  p50 ${median(fs.map((f) => f.p50)).toFixed(2)} ms  cpu ${median(fs.map((f) => f.cpuUs)).toFixed(1)} µs/req  gc ${median(fs.map((f) => f.gcUs)).toFixed(2)} µs/req`,
      );
    }
  } finally {
    for (const [, d] of contenders) await d.close();
    server.stop();
  }
}

// ---- --fake: the pools alone, over a Client that answers on the next setImmediate ----

interface NewHandler {
  onRequestStart(c: object, context: unknown): void;
  onResponseStart(c: object, status: number, headers: object, message: string): void;
  onResponseData(c: object, chunk: Buffer): void;
  onResponseEnd(c: object, trailers: object): void;
  onResponseError(c: object | null, e: Error): void;
}

const BODY = Buffer.from('ok');
const answers: (() => void)[] = [];
let armed = false;
function answerSoon(h: NewHandler, then: () => void): void {
  const c = { aborted: false, paused: false, reason: null, abort() {}, pause() {}, resume() {} };
  h.onRequestStart(c, {});
  answers.push(() => {
    h.onResponseStart(c, 200, {}, 'OK');
    h.onResponseData(c, BODY);
    h.onResponseEnd(c, {});
    then();
  });
  if (armed) return;
  armed = true;
  setImmediate(() => {
    armed = false;
    for (const f of answers.splice(0)) f();
  });
}

class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): this {
    this.destroyed = true;
    return this;
  }
  unref(): void {}
  ref(): void {}
}

/** lido's Client: one request at a time (lido never sends a second before the first ended). */
class LidoClient extends EventEmitter {
  constructor(_origin: string, _options: object) {
    super();
  }
  dispatch(_opts: object, h: NewHandler): boolean {
    answerSoon(h, () => {});
    return true;
  }
  destroy(): Promise<void> {
    return Promise.resolve();
  }
}

/** undici Pool's Client: `false` while busy (pipelining 1), `drain` once free, as undici's Client. */
class PoolClient extends Dispatcher {
  readonly #queue: NewHandler[] = [];
  #busy = false;
  #needDrain = false;
  override dispatch(_opts: object, h: NewHandler): boolean {
    this.#queue.push(h);
    if (!this.#busy) this.#next();
    if (this.#busy) this.#needDrain = true;
    return !this.#busy;
  }
  #next(): void {
    const h = this.#queue.shift();
    this.#busy = h !== undefined;
    if (h !== undefined) answerSoon(h, () => this.#next());
    else if (this.#needDrain) {
      this.#needDrain = false;
      (this as EventEmitter).emit('drain', FAKE_ORIGIN, [this]);
    }
  }
  override close(): Promise<void> {
    return Promise.resolve();
  }
  override destroy(): Promise<void> {
    return Promise.resolve();
  }
}

const FAKE_ORIGIN = 'http://127.0.0.1:1';

/** ns of CPU per request: `n` requests by CALLERS callers, each sending its next as its last ends. */
async function fakeRun(d: Dispatcher, n: number): Promise<number> {
  let left = n;
  const c0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    let active = CALLERS;
    const next = (): void => {
      if (left-- <= 0) {
        if (--active === 0) resolve();
        return;
      }
      const h: NewHandler = {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData() {},
        onResponseEnd: () => queueMicrotask(next),
        onResponseError(_c, e) {
          throw e;
        },
      };
      d.dispatch({ origin: FAKE_ORIGIN, path: '/', method: 'GET' }, h as unknown as Dispatcher.DispatchHandler);
    };
    for (let i = 0; i < CALLERS; i++) next();
  });
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

async function fake(): Promise<void> {
  const HttpPool = await lidoHttp();
  const buildConnector = () => (_t: unknown, cb: (e: Error | null, s: FakeSocket) => void) =>
    queueMicrotask(() => cb(null, new FakeSocket()));
  const undici = { Dispatcher, errors, Client: LidoClient, buildConnector };
  const ds: [string, Dispatcher][] = [
    [
      'agent',
      new Agent({ factory: (o, opts) => new Pool(o, { ...opts, connections: MAX, factory: () => new PoolClient() }) }),
    ],
    ['lido-origin', new HttpPool({ max: MAX, undici, origins: { [FAKE_ORIGIN]: {} } })],
    ['lido', new HttpPool({ max: MAX, undici })],
  ];
  for (const [, d] of ds) await fakeRun(d, 50_000);
  const all = new Map<string, number[]>(ds.map(([n]) => [n, []]));
  for (let r = 0; r < (Number(args[0]) || 7); r++)
    for (const [name, d] of ds) all.get(name)!.push(await fakeRun(d, 100_000));
  for (const [name, xs] of all)
    console.log(
      `${name.padEnd(12)} median ${median(xs).toFixed(0)} ns of CPU per request (rounds: ${xs.map((x) => x.toFixed(0)).join(' ')})`,
    );
  for (const [, d] of ds) await d.close();
}

await (process.argv.includes('--fake') ? fake() : main());

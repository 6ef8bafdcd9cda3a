/**
 * A redis-server of a test's own, for tests that stop, kill, restart, pause or cut off
 * Redis (the shared server at 127.0.0.1:6379 is never touched): a child process on a free
 * loopback port, no persistence, its files in a temporary folder.
 *
 * ```ts
 * await using redis = await startThrowawayRedis({ args: ['--requirepass', 'secret'] });
 * new RedisPool({ Redis, redis: redis.url });
 * await redis.stop();   // SIGTERM (Redis' SHUTDOWN): connections refused from now on
 * await redis.start();  // again, on the same port
 * ```
 *
 * `close()` (or leaving the `await using` block) stops it and removes its folder, bounded
 * in time; a process that exits without that kills what is left (SIGKILL) on 'exit'.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import type { RedisConfig } from './services.js';

export interface ThrowawayRedisOptions {
  /** Extra redis-server arguments, e.g. `['--requirepass', 'secret']`. */
  args?: string[];
  /** The server binary. Default `LIDO_REDIS_SERVER` or `redis-server` on PATH. */
  bin?: string;
  /** Longest wait for the server to answer, per start. Default 10 000 ms. */
  startTimeoutMs?: number;
  /** A port chosen before (one a client already tries to reach). Default: a free one. */
  port?: number;
}

export interface ThrowawayRedis extends AsyncDisposable {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (no password, even when `--requirepass` was given). */
  readonly url: string;
  readonly config: RedisConfig;
  /** The server process is running. */
  readonly running: boolean;
  readonly pid: number | undefined;
  /** What the server printed last (for failure messages). */
  output(): string;
  /** Stops the server (SIGTERM: Redis shuts down, nothing saved) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server with `signal` and waits for it to exit (SIGKILL: a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (after stop or kill). */
  start(): Promise<void>;
  /** Stops it (if running) and removes its folder; idempotent. */
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Resolves once something at 127.0.0.1:port answers a RESP PING (+PONG, or an error such as NOAUTH). */
function answersPing(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+') || reply.startsWith('-'));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits for `child` to exit, at most `ms`; true if it did. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts a redis-server of the test's own; throws (with the server's output) if it cannot. */
export async function startThrowawayRedis(options: ThrowawayRedisOptions = {}): Promise<ThrowawayRedis> {
  const bin = options.bin ?? process.env.LIDO_REDIS_SERVER ?? 'redis-server';
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'lido-redis-'));
  let port = 0;
  let child: ChildProcess | null = null;
  let lines: string[] = [];
  let closed = false;
  installExitHook();

  const output = () => lines.slice(-30).join('\n');

  const spawnOn = async (onPort: number): Promise<void> => {
    lines = [];
    const args = [
      '--port',
      String(onPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      ...(options.args ?? []),
    ];
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    live.add(c);
    c.once('exit', () => live.delete(c));
    c.once('error', () => live.delete(c)); // never started (e.g. ENOENT): no 'exit' follows
    const collect = (chunk: Buffer) => {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (lines.length > 200) lines = lines.slice(-100);
    };
    c.stdout?.on('data', collect);
    c.stderr?.on('data', collect);
    const spawnError = new Promise<Error>((resolve) => c.once('error', resolve));
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const failed = await Promise.race([spawnError, sleep(0).then(() => null)]);
      if (failed) throw new Error(`cannot run ${bin}: ${failed.message}`);
      if (c.exitCode !== null || c.signalCode !== null) {
        throw new Error(`${bin} exited (${c.exitCode ?? c.signalCode}) on port ${onPort}:\n${output()}`);
      }
      if (await answersPing(onPort)) return;
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        await exited(c, 5_000);
        throw new Error(`${bin} did not answer on 127.0.0.1:${onPort} within ${startTimeoutMs} ms:\n${output()}`);
      }
      await sleep(20);
    }
  };

  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    if (!(await exited(c, 10_000))) {
      c.kill('SIGKILL');
      await exited(c, 5_000);
    }
  };

  try {
    if (options.port !== undefined) {
      port = options.port;
      await spawnOn(port);
    } else {
      // A free port may be taken between the probe and the bind: try a few.
      for (let attempt = 1; ; attempt++) {
        port = await freePort();
        try {
          await spawnOn(port);
          break;
        } catch (error) {
          if (attempt >= 3 || !/address already in use/i.test((error as Error).message)) throw error;
        }
      }
    }
  } catch (error) {
    await stopWith('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const server: ThrowawayRedis = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    get config() {
      return { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}` };
    },
    get running() {
      const c = child as ChildProcess | null;
      return c !== null && c.exitCode === null && c.signalCode === null;
    },
    get pid() {
      return (child as ChildProcess | null)?.pid;
    },
    output,
    stop: () => stopWith('SIGTERM'),
    kill: (signal = 'SIGKILL') => stopWith(signal),
    async start() {
      if (closed) throw new Error('throwaway redis-server: start() after close()');
      if (server.running) return;
      await spawnOn(port);
    },
    async close() {
      if (closed) return;
      closed = true;
      await stopWith('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => server.close(),
  };
  return server;
}

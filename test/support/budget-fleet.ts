/**
 * Child processes of a fleet (test/support/budget-child.ts), for the budget's integration
 * tests. Everything started here is tracked and reaped by `reapAll()` (call it in
 * afterEach): children are SIGKILLed if still alive. A redis-server of a test's own comes
 * from throwaway-redis.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type RedisConfig, redisClient } from './services.js';

/** A message a child wrote. */
export interface ChildEvent {
  ev: string;
  at: number;
  [k: string]: unknown;
}

const live = new Set<ChildProcess>();

/** One fleet process under test. */
export class FleetChild {
  readonly events: ChildEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #stderr = '';
  exited = false;

  constructor(readonly proc: ChildProcess) {
    live.add(proc);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as ChildEvent);
      } catch {
        this.#stderr += `${line}\n`;
      }
      for (const w of [...this.#waiters]) w();
    });
    proc.stderr!.on('data', (d: Buffer) => {
      this.#stderr += d.toString();
    });
    proc.on('exit', () => {
      this.exited = true;
      live.delete(proc);
      for (const w of [...this.#waiters]) w();
    });
  }

  send(cmd: Record<string, unknown>): void {
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Events of kind `ev` so far. */
  all(ev: string): ChildEvent[] {
    return this.events.filter((e) => e.ev === ev);
  }

  /** Waits (bounded) for the `count`-th event matching `pred`. */
  next(pred: (e: ChildEvent) => boolean, timeoutMs: number, count = 1, what = 'an event'): Promise<ChildEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.filter(pred);
        if (found.length >= count) {
          done();
          resolve(found[count - 1]);
          return true;
        }
        if (this.exited) {
          done();
          reject(new Error(`child exited before ${what}; stderr:\n${this.#stderr}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; events: ${JSON.stringify(this.events.slice(-8))}; stderr:\n${this.#stderr.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      if (!check()) this.#waiters.add(check);
    });
  }

  /** Asks for stats and returns them. */
  async stats(timeoutMs = 5_000): Promise<ChildEvent> {
    const before = this.all('stats').length;
    this.send({ op: 'stats' });
    return this.next((e) => e.ev === 'stats', timeoutMs, before + 1, 'stats');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.kill(signal);
    });
  }
}

/** Starts `script` (in test/support) with its JSON `args` under tsx; resolves once it says `ready`. */
export async function startScript(script: string, args: unknown, readyTimeoutMs = 15_000): Promise<FleetChild> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script), JSON.stringify(args)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const child = new FleetChild(proc);
  await child.next((e) => e.ev === 'ready', readyTimeoutMs, 1, 'ready');
  return child;
}

/** Starts a fleet process (test/support/budget-child.ts); resolves once its budget is registered. */
export function startChild(
  args: { url: string; name: string; max: number; leaseMs: number; onUnavailable?: 'share' | 'block'; min?: number },
  readyTimeoutMs = 15_000,
): Promise<FleetChild> {
  return startScript('budget-child.ts', args, readyTimeoutMs);
}

/** Starts a fleet process with a real Pool under a redisBudget (budget-pool-child.ts); resolves once it is ready. */
export function startPoolChild(
  args: { url: string; name: string; max: number; leaseMs: number; min?: number; poolMax?: number },
  readyTimeoutMs = 15_000,
): Promise<FleetChild> {
  return startScript('budget-pool-child.ts', args, readyTimeoutMs);
}

/** Tracks another child process, so that `reapAll()` reaps it too. */
export function track(proc: ChildProcess): ChildProcess {
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  return proc;
}

/** SIGKILLs every child and server still alive and waits for them to exit. */
export async function reapAll(): Promise<void> {
  await Promise.all(
    [...live].map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGKILL');
        }),
    ),
  );
  live.clear();
}

/** Deletes the keys of the budgets `names` (also under a client's key prefix) from the shared Redis, and empties `names`. */
export async function deleteBudgetKeys(redis: RedisConfig, names: string[]): Promise<void> {
  const client = await redisClient(redis);
  try {
    for (const name of names.splice(0)) {
      const keys = [
        ...(await client.keys(`lido:budget:{${name}}:*`)),
        ...(await client.keys(`*:lido:budget:{${name}}:*`)),
      ];
      if (keys.length > 0) await client.del(...keys);
    }
  } finally {
    client.disconnect();
  }
}

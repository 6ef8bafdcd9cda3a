import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('../fixtures/exit-on-idle.ts', import.meta.url));

interface Run {
  code: number | null;
  out: string;
  err: string;
  exitedByItself: boolean;
}

/**
 * Runs the fixture with this Node and tsx; kills it if it has not exited within `limitMs`,
 * or as soon as it reported when `killOnReport`.
 */
function run(args: string[], limitMs: number, killOnReport = false): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (killOnReport && out.includes('\n')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, exitedByItself: !killed });
    });
  });
}

describe('allowExitOnIdle', () => {
  it('an idle pool left open does not keep the process alive', async () => {
    const r = await run([], 10_000);
    expect(r.err).toBe('');
    expect(r.exitedByItself).toBe(true);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { size: number; resources: string[] };
    expect(report.size).toBe(4);
    expect(report.resources).not.toContain('Timeout');
  }, 20_000);

  it("allowExitOnIdle: false keeps it alive (its timers are ref'd)", async () => {
    // Deterministic: no waiting for a non-exit; the child lists what keeps its loop alive.
    const r = await run(['keep-alive'], 10_000, true);
    const report = JSON.parse(r.out.split('\n')[0]) as { resources: string[] };
    expect(report.resources).toContain('Timeout');
  }, 20_000);
});

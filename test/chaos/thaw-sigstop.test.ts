// A real freeze: a child process with an idle pool is stopped with SIGSTOP for 3 s and
// resumed with SIGCONT. Its pool must notice (a timer fired far too late), emit `thaw`, and
// validate the idle resource before lending it again. The child is always reaped.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/thaw-child.ts', import.meta.url));

/** Resolves with the child's next stdout line, or rejects after `ms`. */
function nextLine(child: ChildProcess, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.stdout!.off('data', onData);
      reject(new Error(`no line from the child within ${ms} ms (got ${JSON.stringify(buffered)})`));
    }, ms);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(buffered.slice(0, nl));
    };
    child.stdout!.on('data', onData);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('thaw after SIGSTOP / SIGCONT', () => {
  it('a stopped process validates its idle resource before lending it again', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      expect(await nextLine(child, 20_000)).toBe('idle');
      child.stdin!.end('armed\n');
      expect(await nextLine(child, 20_000)).toBe('armed');
      child.kill('SIGSTOP');
      await sleep(3_000);
      child.kill('SIGCONT');
      const report = JSON.parse(await nextLine(child, 20_000)) as { awayMs: number; validated: number[]; lent: number };
      expect(report.awayMs).toBeGreaterThan(1_000); // the thaw threshold of the child's pool
      expect(report.awayMs).toBeLessThan(20_000);
      // The idle resource was validated before it was lent again.
      expect(report.validated).toEqual([report.lent]);
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
      await exited;
    }
  }, 60_000);
});

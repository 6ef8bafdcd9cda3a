import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Runs a fixture that warms the hot path, lets objects die and collects: which functions were optimized before and after. */
function run(name: string): { before: string[]; after: string[] } {
  const fixture = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--import', 'tsx', fixture], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout.trim()) as { before: string[]; after: string[] };
}

describe('a waiter, a lease and a pool held by their classes (docs/performance.md, "Surviving a full GC")', () => {
  it('a full GC while nothing waits or is borrowed leaves the optimized acquire/release path in place', () => {
    const { before, after } = run('held-classes-survive-gc.ts');
    // The warm-up did get V8 to optimize them (otherwise the check below proves nothing)...
    expect(before).toEqual(['WaiterQueue.push', 'WaiterQueue.shift', 'Lease.release']);
    // ...and the GC, which collects maps that no live object has, did not throw that code away.
    expect(after).toEqual(before);
  }, 60_000);

  it('a full GC after the last pool of the process is gone leaves the optimized path in place for the next pool', () => {
    const { before, after } = run('held-pool-survives-gc.ts');
    expect(before).toEqual(['Pool.acquire', 'IdleList.take', 'WaiterQueue.push', 'Lease.release', 'Histogram.record']);
    // Without the held pool, the maps of the pool's parts die here and V8 throws away the
    // code that checks them; each new pool then brings new maps (see Pool's #held).
    expect(after).toEqual(before);
  }, 60_000);
});

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/held-classes-survive-gc.ts', import.meta.url));

describe('a waiter and a lease held by their classes (docs/performance.md, "Surviving a full GC")', () => {
  it('a full GC while nothing waits or is borrowed leaves the optimized acquire/release path in place', () => {
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--import', 'tsx', fixture], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const { before, after } = JSON.parse(r.stdout.trim()) as { before: string[]; after: string[] };
    // The warm-up did get V8 to optimize them (otherwise the check below proves nothing)...
    expect(before).toEqual(['WaiterQueue.push', 'WaiterQueue.shift', 'Lease.release']);
    // ...and the GC, which collects maps that no live object has, did not throw that code away.
    expect(after).toEqual(before);
  });
});

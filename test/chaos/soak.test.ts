/**
 * Soak: one million acquire/release cycles on the real clock, with 1 % of creates,
 * validations and resets failing at random. The heap after a full GC must stay flat
 * (compared at 100,000 cycles and at the end) and every counter must balance.
 *
 * `SOAK_CYCLES` changes the number of cycles (e.g. 10_000_000 for a longer run).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Pool, type Factory } from '../../src/index.js';
import { rng } from './hook-matrix.js';

const CYCLES = Number(process.env.SOAK_CYCLES ?? 1_000_000);
const CHECKPOINT = 100_000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Heap used after a full collection, in bytes. */
async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

interface Conn {
  id: number;
  dead: boolean;
}

describe('soak', () => {
  it(`${CYCLES.toLocaleString('en')} acquire/release cycles with 1 % failing creates, validations and resets: flat heap, balanced stats`, async () => {
    const random = rng(42);
    const f = {
      created: 0,
      createFailures: 0,
      destroyed: 0,
      validations: 0,
      validationFailures: 0,
      resets: 0,
      resetFailures: 0,
      doubleDestroys: 0,
    };
    let ids = 0;
    const factory: Factory<Conn> = {
      create: async () => {
        if (random() < 0.01) {
          f.createFailures++;
          throw new Error('connect ECONNREFUSED');
        }
        f.created++;
        return { id: ++ids, dead: false };
      },
      validate: (c) => {
        f.validations++;
        if (c.dead) throw new Error(`validate of destroyed conn ${c.id}`);
        if (random() < 0.01) {
          f.validationFailures++;
          return false;
        }
        return true;
      },
      reset: (c) => {
        f.resets++;
        if (c.dead) throw new Error(`reset of destroyed conn ${c.id}`);
        if (random() < 0.01) {
          f.resetFailures++;
          throw new Error('reset failed');
        }
      },
      destroy: (c) => {
        if (c.dead) f.doubleDestroys++;
        c.dead = true;
        f.destroyed++;
      },
    };
    const pool = new Pool<Conn>({
      name: 'soak',
      factory,
      max: 4,
      acquireTimeoutMs: 10_000,
      validateAfterIdleMs: 0,
      idleTimeoutMs: 0,
      maxLifetimeMs: 0,
      createRetry: { baseMs: 1, capMs: 4 },
    });
    // Fewer borrowers than max: most acquires find an idle resource (validated first, as
    // validateAfterIdleMs is 0); while one is validated, a release may hand another over.
    const borrowers = 3;
    let cycles = 0;
    let held = 0;
    let peakHeld = 0;
    /** Runs cycles on `borrowers` concurrent loops until `upTo` were started. */
    const run = (upTo: number): Promise<unknown> =>
      Promise.all(
        Array.from({ length: borrowers }, async () => {
          while (cycles < upTo) {
            cycles++;
            const lease = await pool.acquire();
            if (++held > peakHeld) peakHeld = held;
            const c = lease.resource;
            if (c.dead) throw new Error(`lent destroyed conn ${c.id}`);
            if (cycles % 4 === 0) await null; // held across a tick now and then
            held--;
            lease.release();
          }
        }),
      );
    const started = performance.now();
    await run(Math.min(CHECKPOINT, CYCLES));
    const measuring = performance.now();
    const heapAt100k = await heapAfterGc();
    const paused = performance.now() - measuring;
    await run(CYCLES);
    const ms = performance.now() - started - paused;
    const heapAtEnd = await heapAfterGc();
    const s = pool.stats();
    const report = await pool.close();
    const after = pool.stats();
    const growth = heapAtEnd - heapAt100k;
    console.log(
      `[soak] ${CYCLES.toLocaleString('en')} cycles in ${(ms / 1000).toFixed(1)} s (${Math.round(CYCLES / (ms / 1000)).toLocaleString('en')}/s); ` +
        `heap after GC: ${(heapAt100k / 1048576).toFixed(2)} MB at ${CHECKPOINT.toLocaleString('en')} cycles, ${(heapAtEnd / 1048576).toFixed(2)} MB at the end ` +
        `(${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(0)} KB); creates ${f.created} (+${f.createFailures} failed), ` +
        `validations failed ${f.validationFailures}/${f.validations}, resets failed ${f.resetFailures}/${f.resets}, peak held ${peakHeld}`,
    );

    // Flat heap: growth between 100k and 1M cycles stays under 1 MB (it is a few KB).
    expect(growth).toBeLessThan(1024 * 1024);
    // Stats balance with what happened.
    expect(s.acquired).toBe(CYCLES);
    expect(s.released).toBe(CYCLES);
    expect(s.borrowed).toBe(0);
    expect(s.pending).toBe(0);
    expect(s.timeouts).toBe(0);
    expect(s.created).toBe(f.created);
    expect(s.createErrors).toBe(f.createFailures);
    expect(s.validationFailures).toBe(f.validationFailures);
    expect(s.resetFailures).toBe(f.resetFailures);
    expect(s.created - s.destroyed).toBe(s.size);
    expect(s.size).toBeLessThanOrEqual(4);
    expect(report).toEqual({ forced: 0, unsettledDestroys: 0 });
    expect(after.created).toBe(after.destroyed);
    expect(f.destroyed).toBe(f.created);
    expect(f.doubleDestroys).toBe(0);
    // Every failed validation or reset cost exactly one resource.
    expect(f.destroyed).toBe(f.validationFailures + f.resetFailures + s.size);
    // Both failure kinds happened at about 1 %.
    expect(f.validationFailures / f.validations).toBeGreaterThan(0.008);
    expect(f.validationFailures / f.validations).toBeLessThan(0.012);
    expect(f.resetFailures / f.resets).toBeGreaterThan(0.008);
    expect(f.resetFailures / f.resets).toBeLessThan(0.012);
    expect(f.createFailures).toBeGreaterThan(0);
    // Bounded in time: well within a minute on a 2-core machine.
    expect(ms).toBeLessThan(45_000);
  });
});

import fc from 'fast-check';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { coverage, poolProperty } from './pool-model.js';

/**
 * 3,000 sequences of up to 50 steps in CI (a few seconds). To hunt longer:
 * `PROPERTY_RUNS=100000`, `PROPERTY_STEPS=150` (longer sequences), `PROPERTY_SEED=<n>` to
 * pin a run, `PROPERTY_VERBOSE=1` to list every failure met while shrinking. A failure
 * prints its seed, path and shrunk sequence (as data): add it to `replay.test.ts`.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 3000);
const SEED =
  process.env.PROPERTY_SEED === undefined
    ? Date.now() ^ (Math.random() * 0x100000000)
    : Number(process.env.PROPERTY_SEED);
const STEPS = Number(process.env.PROPERTY_STEPS ?? 50);

describe('Pool against its model', () => {
  beforeAll(() => {
    // Forced closes warn (LIDO_CLOSE_FORCED); a thousand runs would flood the output.
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  it(`keeps every invariant over ${RUNS} random command sequences`, async () => {
    const started = performance.now();
    console.log(`[property] seed ${SEED}`);
    await fc.assert(poolProperty(STEPS), {
      numRuns: RUNS,
      seed: SEED,
      timeout: 10_000,
      verbose: process.env.PROPERTY_VERBOSE ? fc.VerbosityLevel.Verbose : fc.VerbosityLevel.None,
    });
    const ms = performance.now() - started;
    console.log(`[property] ${RUNS} sequences in ${(ms / 1000).toFixed(1)} s; exercised: ${JSON.stringify(coverage)}`);
  });
});

import fc from 'fast-check';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { commandsArb, configArb, coverage, World } from './pool-model.js';

/**
 * 1,000 sequences in CI; `PROPERTY_RUNS=20000` for a longer hunt, `PROPERTY_SEED` to pin
 * one, `PROPERTY_STEPS` for longer sequences (default 50), `PROPERTY_VERBOSE=1` to list every failure met while shrinking. A failure prints
 * its seed, path and shrunk sequence: add it to `replay.test.ts`.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);
const SEED = process.env.PROPERTY_SEED === undefined ? Date.now() ^ (Math.random() * 0x100000000) : Number(process.env.PROPERTY_SEED);
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
    await fc.assert(
      fc.asyncProperty(configArb, commandsArb(STEPS), async (config, cmds) => {
        let world: World | null = null;
        try {
          await fc.asyncModelRun(() => {
            world = new World(config);
            return { model: {}, real: world };
          }, cmds);
          await world!.finish();
        } finally {
          (world as World | null)?.dispose();
        }
      }),
      { numRuns: RUNS, seed: SEED, timeout: 10_000, verbose: process.env.PROPERTY_VERBOSE ? fc.VerbosityLevel.Verbose : fc.VerbosityLevel.None },
    );
    const ms = performance.now() - started;
    console.log(`[property] ${RUNS} sequences in ${(ms / 1000).toFixed(1)} s; exercised: ${JSON.stringify(coverage)}`);
  });
});

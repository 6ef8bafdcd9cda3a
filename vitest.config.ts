import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/bench/**/*.test.ts'],
          // Simulations on the injected clock are CPU-bound: a busy 2-core machine runs
          // them several times slower than an idle one, and a hang still ends here.
          testTimeout: 30_000,
        },
      },
      { test: { name: 'property', include: ['test/property/**/*.test.ts'], testTimeout: 120_000 } },
      { test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], testTimeout: 120_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ['test/support/global-setup.ts'],
          // Integration files share the real services; one file at a time keeps the
          // fault-injection tests (restarts, kills) from hitting their neighbours.
          fileParallelism: false,
          // A group of its own, not run beside the CPU-bound projects: the integration
          // tests' time windows (a lease, an outage, a retry) keep the cores to themselves.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

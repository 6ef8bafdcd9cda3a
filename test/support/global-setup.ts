/**
 * globalSetup of the `integration` vitest project (see vitest.config.ts).
 *
 * Resolves PostgreSQL and Redis once for the whole run (environment address, else a
 * testcontainers container when Docker is there), hands the result to the test
 * workers with `project.provide('lidoServices', …)` (read back by
 * ./services.ts through `inject`), and stops any container it started on teardown.
 *
 * A missing service never throws here: that would abort the other projects too.
 * Instead the tests that need it fail (CI) or are skipped with a loud warning
 * (elsewhere); this file repeats the warning at the start and at the end of the run.
 */
import type { TestProject } from 'vitest/node';
import {
  PROVIDE_KEY,
  ciError,
  isCI,
  resolveServices,
  skipWarning,
  stopContainers,
  type ServiceState,
} from './services.js';

function describeState(label: string, s: ServiceState<{ host: string; port: number }>): string {
  return s.available
    ? `${label}: ${s.config.host}:${s.config.port}${s.source === 'container' ? ' (testcontainers)' : ''}`
    : `${label}: MISSING (${s.reason})`;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const resolved = await resolveServices();
  project.provide(PROVIDE_KEY, resolved);

  const missing = [resolved.postgres, resolved.redis].flatMap((s) => (s.available ? [] : [s.reason]));
  const banner = () => {
    for (const reason of missing) {
      process.stderr.write(`\n${isCI() ? `!!! ${ciError(reason).message}` : skipWarning(reason)}\n`);
    }
    if (missing.length) process.stderr.write('\n');
  };
  process.stdout.write(
    `[integration] ${describeState('PostgreSQL', resolved.postgres)}; ${describeState('Redis', resolved.redis)}\n`,
  );
  banner();

  return async () => {
    await stopContainers();
    banner(); // again after the summary, where nobody can miss it
  };
}

/**
 * The rule "in CI a missing service or capability is a failure, never a silent skip",
 * checked on the real wrappers: a nested vitest run of two integration files with the
 * shared services pointed at a closed port, no Docker, and no redis-server binary.
 * With CI set every test that needs them FAILS with the reason; without it they are
 * reported as skipped (never passed). See test/support/services.ts and capability.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILES = ['test/integration/services.test.ts', 'test/integration/redis-faults.test.ts'];

interface Outcome {
  title: string;
  status: string;
  failureMessages: string[];
}

/** Runs the two files in a nested vitest with `CI` as given; the outcome of every test. */
async function nested(ci: string): Promise<Outcome[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lido-ci-policy-'));
  const report = join(dir, 'report.json');
  try {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_OPTIONS') env[k] = v;
    Object.assign(env, {
      CI: ci,
      PGHOST: '127.0.0.1',
      PGPORT: '1', // nothing listens on port 1
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: '1',
      DOCKER_HOST: `unix://${join(dir, 'no-docker.sock')}`, // no testcontainers fallback
      LIDO_REDIS_SERVER: join(dir, 'no-redis-server'),
    });
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const args = [vitest, 'run', '--project', 'integration', ...FILES, '--reporter=json', `--outputFile=${report}`];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.once('error', reject);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, 'nested vitest exit code').toBe(ci ? 1 : 0);
    const json = JSON.parse(readFileSync(report, 'utf8')) as { testResults: { assertionResults: Outcome[] }[] };
    return json.testResults.flatMap((f) => f.assertionResults);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('missing services and capabilities', () => {
  it('with CI set: each suite needing a missing service, and each test needing a missing binary, fails with the reason', async () => {
    const outcomes = await nested('true');
    const by = (title: string) => outcomes.find((o) => o.title === title);
    for (const service of ['PostgreSQL', 'Redis']) {
      expect(by(`requires ${service}`)?.status).toBe('failed');
      expect(by(`requires ${service}`)?.failureMessages.join('\n')).toMatch(
        new RegExp(`${service} not reachable at 127\\.0\\.0\\.1:1.*in CI that is a failure`),
      );
    }
    const faults = outcomes.filter((o) => /^(CLIENT KILL|Redis restarted|Redis paused)/.test(o.title));
    expect(faults).toHaveLength(3);
    for (const o of faults) {
      expect(o.status, o.title).toBe('failed');
      expect(o.failureMessages.join('\n')).toMatch(
        /a throwaway redis-server unavailable: cannot run .*no-redis-server.*in CI a missing capability is a failure/,
      );
    }
    // Nothing that needed what is missing passed or was skipped.
    const passed = outcomes.filter((o) => o.status === 'passed').map((o) => o.title);
    expect(passed).toEqual(['reads service addresses from the environment, with the documented defaults']);
    expect(outcomes.filter((o) => o.status !== 'passed' && o.status !== 'failed')).toEqual([]);
  }, 120_000);

  it('without CI: the same tests are reported as skipped, none as passed', async () => {
    const outcomes = await nested('');
    const passed = outcomes.filter((o) => o.status === 'passed').map((o) => o.title);
    expect(passed).toEqual(['reads service addresses from the environment, with the documented defaults']);
    expect(outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    const skipped = outcomes.filter((o) => o.status === 'skipped' || o.status === 'pending');
    expect(skipped.length).toBe(outcomes.length - 1);
    expect(skipped.map((o) => o.title)).toEqual(
      expect.arrayContaining([
        'answers SELECT 1',
        'answers PING',
        'CLIENT KILL TYPE normal mid-load: in-flight commands fail clearly, the pool recovers',
      ]),
    );
  }, 120_000);
});

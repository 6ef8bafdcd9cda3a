/**
 * Every example under examples/ runs, against the real PostgreSQL and Redis
 * (test/support/services.ts finds them), exits with code 0 by itself within its time
 * limit, and prints its key line. The list comes from the examples/ directory, so a new
 * example is picked up without touching this file: its script is the one in KNOWN below,
 * else the first `examples/<dir>/<file>.ts` its README names, else its only `.ts` file.
 * Each example also needs a README.md that names how to run it.
 *
 * An example expected but not written yet fails in CI, and is reported as skipped, by
 * name, elsewhere.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeWithServices, isCI } from '../support/services.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');

interface Example {
  /** The script to run, relative to the example's directory. */
  script: string;
  args?: string[];
  /** Extra environment, e.g. to keep the run short. */
  env?: Record<string, string>;
  /** A line the run must print. */
  expect?: RegExp;
  /** Longest run allowed, in ms. */
  timeoutMs?: number;
}

/** How each known example runs briefly, and the line that says it worked. */
const KNOWN: Record<string, Example> = {
  demo: { script: 'demo.ts', expect: /lido is [\d.]+x faster/ }, // `npm run demo`
  'pg-demo': { script: 'pg-demo.ts', expect: /with PgPool: +\d+ queries on \d+ pooled connection/ },
  'web-service': { script: 'server.ts', args: ['--once'], expect: /^web-service: shut down cleanly$/m },
  'redis-queue-worker': { script: 'worker.ts', expect: /(\d+)\/\1 jobs done by \d+ workers/ },
  'multi-tenant': { script: 'main.ts', expect: /at most [1-8] at once seen by the server \(maxTotal 8\)/ },
  'read-replicas': { script: 'main.ts', expect: /readmit /, timeoutMs: 90_000 },
  monitoring: { script: 'server.ts', env: { DURATION: '2' }, expect: /GET \/admin\/health → 200/ },
  'http-client': { script: 'service.ts', expect: /^400 jobs in \d+ ms/m },
};

/** Examples the docs promise; a missing one fails in CI (skipped by name elsewhere). */
const EXPECTED = [
  'demo',
  'pg-demo',
  'web-service',
  'redis-queue-worker',
  'http-client',
  'multi-tenant',
  'read-replicas',
  'monitoring',
];

const DEFAULT_TIMEOUT_MS = 60_000;

const present = readdirSync(EXAMPLES)
  .filter((d) => statSync(join(EXAMPLES, d)).isDirectory())
  .sort();

/** The script of an example not in KNOWN (or whose KNOWN script is not there). */
function findScript(dir: string): string | null {
  const readme = join(EXAMPLES, dir, 'README.md');
  if (existsSync(readme)) {
    const named = new RegExp(`examples/${dir.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}/([\\w.-]+\\.[cm]?ts)`).exec(
      readFileSync(readme, 'utf8'),
    );
    if (named && existsSync(join(EXAMPLES, dir, named[1]))) return named[1];
  }
  const ts = readdirSync(join(EXAMPLES, dir)).filter((f) => /\.[cm]?ts$/.test(f) && !f.endsWith('.d.ts'));
  return ts.length === 1 ? ts[0] : null;
}

function run(
  dir: string,
  ex: Example,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; signal: string | null; output: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('examples', dir, ex.script), ...(ex.args ?? [])], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout also stops anything it started
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const limit = ex.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => {
      output += `\n[examples.test: no exit after ${limit} ms; killed]\n`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, limit);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Date.now() - t0 });
    });
  });
}

describeWithServices('examples', ({ postgres, redis }) => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: postgres.connectionString,
    REDIS_URL: redis.url,
    NO_COLOR: '1',
  };
  delete env.PORT;
  delete env.DURATION;
  delete env.NODE_OPTIONS; // vitest's own loader flags are not the example's

  // A missing example the docs promise fails in CI; elsewhere it is reported as skipped, by name.
  for (const dir of EXPECTED.filter((d) => !present.includes(d))) {
    if (isCI()) {
      it(`examples/${dir} exists`, () => {
        throw new Error(`examples/${dir}/ does not exist, and the docs promise it`);
      });
    } else {
      it.skip(`examples/${dir} [SKIPPED: examples/${dir}/ does not exist yet]`, () => {});
    }
  }

  for (const dir of present) {
    const known = KNOWN[dir];
    const script = known && existsSync(join(EXAMPLES, dir, known.script)) ? known.script : findScript(dir);
    const ex: Example = { ...known, script: script ?? '' };
    const limit = ex.timeoutMs ?? DEFAULT_TIMEOUT_MS;

    it(`examples/${dir} has a README.md that says how to run it`, () => {
      expect(
        script,
        `examples/${dir}: no script to run (name it in README.md as examples/${dir}/<file>.ts, or add it to KNOWN in this file)`,
      ).toBeTruthy();
      const readme = join(EXAMPLES, dir, 'README.md');
      expect(existsSync(readme), `examples/${dir}/README.md is missing`).toBe(true);
      const text = readFileSync(readme, 'utf8');
      const runs = text.includes(`examples/${dir}/${script}`) || (dir === 'demo' && text.includes('npm run demo'));
      expect(runs, `examples/${dir}/README.md does not name examples/${dir}/${script}`).toBe(true);
    });

    it(
      `examples/${dir}: ${script ?? '(no script)'}${ex.args ? ` ${ex.args.join(' ')}` : ''} exits 0 by itself`,
      async () => {
        expect(script, `examples/${dir}: no script to run`).toBeTruthy();
        const r = await run(dir, ex, { ...env, ...ex.env });
        const tail = r.output.split('\n').slice(-40).join('\n');
        expect({ code: r.code, signal: r.signal }, `examples/${dir} failed after ${r.ms} ms; output:\n${tail}`).toEqual(
          { code: 0, signal: null },
        );
        if (ex.expect)
          expect(r.output, `examples/${dir}: key line ${ex.expect} not printed; output:\n${tail}`).toMatch(ex.expect);
      },
      limit + 10_000,
    );
  }
});

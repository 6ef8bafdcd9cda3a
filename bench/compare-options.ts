/** The command line of bench/compare.ts (`npm run bench:compare -- …`), parsed and checked. */

/** What bench/compare.ts can measure, in the order it runs them. */
export const COMPARE_SCENARIOS = ['uncontended', 'contended', 'storm', 'cancel', 'pg', 'http'] as const;
export type CompareScenario = (typeof COMPARE_SCENARIOS)[number];

/** Run when `--only` is not given: the cycles, the timeout storm and the two adapters. */
export const DEFAULT_SCENARIOS: readonly CompareScenario[] = ['uncontended', 'contended', 'storm', 'pg', 'http'];

export interface CompareOptions {
  /** The revision measured as "before". */
  base: string;
  /** The revision measured as "after"; null: the working tree as it is (uncommitted changes included). */
  after: string | null;
  /** Pairs of runs: each pair runs every scenario once on each side, in alternating order. */
  pairs: number;
  /** Measured windows per adapter run (each side's process is warmed up once per pair). */
  windows: number;
  scenarios: CompareScenario[];
  /** Tiny counts (as `npm run bench:smoke`): checks that the tool works, measures nothing. */
  smoke: boolean;
  help: boolean;
}

export const COMPARE_USAGE = `usage: npm run bench:compare -- [--base=<rev>] [--after=<rev>] [--pairs=<n>] [--only=<names>] [--windows=<n>] [--smoke]

Measures lido built from the working tree (or --after) against lido built from --base,
on this machine: every scenario runs on each side in a process of its own, the two sides
alternating, for n pairs; prints per figure the median ratio after/before and each pair's.

  --base=<rev>     git revision measured as "before" (default: main)
  --after=<rev>    git revision measured as "after" (default: the working tree)
  --pairs=<n>      pairs of runs (default: 5; with --smoke: 1)
  --only=<names>   comma-separated, from ${COMPARE_SCENARIOS.join(', ')}
                   (default: ${DEFAULT_SCENARIOS.join(', ')})
  --windows=<n>    measured windows per adapter run (default: 3; with --smoke: 1)
  --smoke          tiny counts: checks the tool, its figures mean nothing
  --help           this text`;

/** Parses a positive integer option's value, or throws naming the option. */
function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(`${name}: expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The arguments after the script's name; throws an Error that names the bad argument. */
export function parseCompareArgs(argv: readonly string[]): CompareOptions {
  const smoke = argv.includes('--smoke');
  const options: CompareOptions = {
    base: 'main',
    after: null,
    pairs: smoke ? 1 : 5,
    windows: smoke ? 1 : 3,
    scenarios: [...DEFAULT_SCENARIOS],
    smoke,
    help: false,
  };
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? null : arg.slice(eq + 1);
    const needValue = (): string => {
      if (value === null || value === '')
        throw new Error(`${name}: expected ${name}=<value>, got ${JSON.stringify(arg)}`);
      return value;
    };
    switch (name) {
      case '--smoke':
        if (value !== null) throw new Error(`--smoke: takes no value, got ${JSON.stringify(arg)}`);
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--base':
        options.base = needValue();
        break;
      case '--after':
        options.after = needValue();
        break;
      case '--pairs':
        options.pairs = positiveInt('--pairs', needValue());
        break;
      case '--windows':
        options.windows = positiveInt('--windows', needValue());
        break;
      case '--only': {
        const names = needValue().split(',');
        const unknown = names.filter((n) => !(COMPARE_SCENARIOS as readonly string[]).includes(n));
        if (unknown.length) {
          throw new Error(
            `--only: expected names from ${COMPARE_SCENARIOS.join(', ')}, got ${unknown.map((n) => JSON.stringify(n)).join(', ')}`,
          );
        }
        // In the tool's own order, each once.
        options.scenarios = COMPARE_SCENARIOS.filter((s) => names.includes(s));
        break;
      }
      default:
        throw new Error(`unknown argument ${JSON.stringify(arg)} (see --help)`);
    }
  }
  return options;
}

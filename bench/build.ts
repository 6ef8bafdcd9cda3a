/**
 * lido as users get it: src/ bundled by esbuild the way tsup builds dist/ (ESM,
 * target node22, shared chunks, no `keepNames`), into node_modules/.cache/lido-bench/.
 *
 * Not run through tsx on purpose: tsx transpiles with `keepNames`, which wraps every
 * function and class expression in a `__name()` call, so a closure created per call
 * (as in `pool.use()`) costs far more under tsx than in the published build. The peers
 * run as the JavaScript they publish. (esbuild is the one tsup and tsx both depend on.)
 */
import { build } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = fileURLToPath(new URL('../node_modules/.cache/lido-bench/', import.meta.url));
const ENTRIES = { index: 'src/index.ts', pg: 'src/adapters/pg/index.ts', http: 'src/adapters/http/index.ts' };
export type Entry = keyof typeof ENTRIES;

let built: Promise<Map<Entry, string>> | null = null;

/** Builds once per process; maps each entry whose source exists to the built module's URL. */
export function lidoBuild(): Promise<Map<Entry, string>> {
  built ??= buildTree(ROOT, OUT);
  return built;
}

/**
 * Bundles the lido entries found under `root` (a checkout: this tree, or a worktree of
 * another revision for bench/compare.ts) into `outdir`, emptied first. Maps each entry
 * whose source exists to the built module's URL; empty when `root` has no src/index.ts.
 */
export async function buildTree(root: string, outdir: string): Promise<Map<Entry, string>> {
  const base = root.endsWith('/') ? root : `${root}/`;
  const dir = outdir.endsWith('/') ? outdir : `${outdir}/`;
  const present = (Object.entries(ENTRIES) as [Entry, string][]).filter(([, f]) => existsSync(base + f));
  if (!present.some(([name]) => name === 'index')) return new Map();
  rmSync(dir, { recursive: true, force: true });
  await bundle(Object.fromEntries(present.map(([name, f]) => [name, base + f])), dir);
  return new Map(present.map(([name]) => [name, pathToFileURL(`${dir}${name}.mjs`).href]));
}

/**
 * Bundles `entryPoints` (name → source file) into `outdir` as `<name>.mjs`, with the
 * options tsup builds dist/ with. The profiling scripts use it for their own copies.
 */
export async function bundle(entryPoints: Record<string, string>, outdir: string): Promise<void> {
  await build({
    entryPoints,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
}

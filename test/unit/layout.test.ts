/**
 * The layout of src/ (docs/architecture.md): the folders that show the architecture, and
 * files small enough to read in one sitting.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('src/ layout', () => {
  it('has the folders of docs/architecture.md', () => {
    for (const folder of [
      'core',
      'core/containers',
      'core/util',
      'stats',
      'keyed',
      'cluster',
      'adapters/pg',
      'adapters/redis',
      'adapters/http',
      'observability',
      'budget',
      'sizing',
      'config',
    ])
      expect(statSync(join(SRC, folder)).isDirectory(), folder).toBe(true);
  });

  it('no file is over 300 lines', () => {
    const long = files(SRC)
      .map((path) => [relative(SRC, path), readFileSync(path, 'utf8').trimEnd().split('\n').length] as const)
      .filter(([, lines]) => lines > 300);
    expect(long).toEqual([]);
  });
});

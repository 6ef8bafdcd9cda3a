// Every error code lido raises is written out once (ErrorCode in src/core/errors.ts) and has
// a row in the errors table of docs/concepts.md; no code is built from strings at run time.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/core/errors.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const files = sources(path.join(root, 'src')).map((p) => ({
  file: path.relative(root, p),
  text: readFileSync(p, 'utf8'),
}));
const concepts = readFileSync(path.join(root, 'docs/concepts.md'), 'utf8');
const errorsSection = concepts.slice(
  concepts.indexOf('## Errors'),
  concepts.indexOf('\n## ', concepts.indexOf('## Errors') + 1),
);
/** The codes in the table's second column. */
const documented = new Set([...errorsSection.matchAll(/^\| `?\w+`? \| `(ERR_POOL\w*)` \|/gm)].map((m) => m[1]));

describe('error codes', () => {
  it('every code in ErrorCode has a row in the errors table of docs/concepts.md', () => {
    const missing = Object.values(ErrorCode).filter((code) => !documented.has(code));
    expect(missing).toEqual([]);
  });

  it('the table documents no code that lido does not raise', () => {
    const known = new Set<string>(Object.values(ErrorCode));
    expect([...documented].filter((code) => !known.has(code))).toEqual([]);
  });

  it('src/ writes codes only in ErrorCode: no other ERR_POOL literal, no code built from strings', () => {
    const offenders: string[] = [];
    for (const { file, text } of files) {
      if (file === path.join('src', 'core', 'errors.ts')) continue;
      // A literal code elsewhere, or the start of one being concatenated or templated
      // (comments, which name codes in backquotes, are left out).
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const m of code.matchAll(/['"`]ERR_POOL\w*/g)) offenders.push(`${file}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });

  it('every ErrorCode entry is used somewhere in src/ (no stale constant)', () => {
    const all = files.map((f) => f.text).join('\n');
    const unused = Object.entries(ErrorCode).filter(([key]) => !new RegExp(`ErrorCode\\.${key}\\b`).test(all));
    expect(unused.map(([key]) => key)).toEqual([]);
  });
});

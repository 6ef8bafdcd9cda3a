// The mutants of test/chaos/mutants.mjs (run on demand: `node test/chaos/mutants.mjs`) must
// keep pointing at the source: each one's target text occurs exactly once in its file, and
// the mutated file still parses, so that a mutant run breaks what it says and nothing else.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { mutants, mutate } from './mutants.mjs';

interface Mutant {
  id: string;
  breaks: string;
  how: string;
  file: string;
  from: string;
  to: string;
}

const root = new URL('../../', import.meta.url);

describe('mutants.mjs', () => {
  it('every mutant has an id, says what it breaks and how, and ids are unique', () => {
    const list = mutants as Mutant[];
    expect(list.length).toBeGreaterThan(0);
    for (const m of list) {
      expect(m.id).toMatch(/^M\d+$/);
      expect(m.breaks.length).toBeGreaterThan(0);
      expect(m.how.length).toBeGreaterThan(0);
      expect(m.from).not.toBe(m.to);
    }
    expect(new Set(list.map((m) => m.id)).size).toBe(list.length);
  });

  for (const m of mutants as Mutant[]) {
    it(`${m.id} (${m.breaks}) applies exactly once to ${m.file} and the result parses`, () => {
      const src = readFileSync(new URL(m.file, root), 'utf8');
      const mutated = mutate(src, m);
      expect(mutated).not.toBe(src);
      const out = ts.transpileModule(mutated, { reportDiagnostics: true, fileName: m.file });
      expect(out.diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
    });
  }

  it('a mutant whose text is missing, or found twice, throws instead of passing silently', () => {
    const m = { id: 'MX', breaks: 'x', how: 'x', file: 'f.ts', from: 'needle', to: 'pin' };
    expect(() => mutate('haystack', m)).toThrow(/MX: target text not found in f\.ts/);
    expect(() => mutate('needle needle', m)).toThrow(/MX: target text found more than once/);
    expect(mutate('a needle b', m)).toBe('a pin b');
  });
});

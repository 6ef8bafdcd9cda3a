// The options reference in docs/options.md must match the code: every documented option
// is accepted, every option the pool reports is documented, and every documented default
// is the one the pool actually uses.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Pool } from '../../src/index.js';
import { TestFactory } from '../support/test-factory.js';

const doc = readFileSync(new URL('../../docs/options.md', import.meta.url), 'utf8');
const section = doc.slice(0, doc.indexOf('## Per-call options'));
const rows = [...section.matchAll(/^\| `(\w+)` \| (.+?) \|/gm)].map((m) => ({ name: m[1], def: m[2].trim() }));

describe('docs/options.md', () => {
  const pool = new Pool({ factory: new TestFactory() });
  const config = pool.config();

  it('documents every option the pool has, and nothing else', () => {
    const documented = rows.map((r) => r.name).sort();
    const actual = [...Object.keys(config), 'clock', 'random'].sort();
    expect(documented).toEqual(actual);
  });

  it('states the defaults the code uses', () => {
    for (const { name, def } of rows) {
      if (
        def.startsWith('(') ||
        def.startsWith('= ') ||
        def.startsWith('`= ') ||
        name === 'name' ||
        name === 'clock' ||
        name === 'random'
      )
        continue;
      const literal = def
        .replace(/^`|`$/g, '')
        .replace(/(\w+):/g, '"$1":')
        .replace(/'/g, '"');
      const expected = literal === 'Infinity' ? Infinity : JSON.parse(literal);
      expect({ name, value: config[name] }).toEqual({ name, value: expected });
    }
  });

  it('states the derived defaults (createTimeoutMs = acquireTimeoutMs, resetTimeoutMs = validateTimeoutMs)', () => {
    expect(rows.find((r) => r.name === 'createTimeoutMs')!.def).toBe('`= acquireTimeoutMs`');
    expect(config.createTimeoutMs).toBe(config.acquireTimeoutMs);
    expect(rows.find((r) => r.name === 'resetTimeoutMs')!.def).toBe('`= validateTimeoutMs`');
    expect(config.resetTimeoutMs).toBe(config.validateTimeoutMs);
  });

  it('accepts every documented option key', () => {
    for (const { name } of rows) {
      if (name === 'factory') continue;
      const value = (pool.config() as Record<string, unknown>)[name];
      if (value === undefined) continue;
      expect(() => new Pool({ factory: new TestFactory(), [name]: value }).close()).not.toThrow();
    }
  });
});

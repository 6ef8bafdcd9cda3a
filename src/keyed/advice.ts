import type { Advice } from '../stats/advice.js';
import { redactString } from '../core/util/redact.js';
import type { KeyEntry } from './entry.js';

/** One recommendation of `keyedPool.advise()`: a key pool's, with its key, or one about `maxTotal`. */
export interface KeyedAdvice<K> extends Advice {
  /** The key whose pool the advice is about (a string key without a URL's credentials); absent for `maxTotal`. */
  key?: K;
}

/** What the keyed pool's advice looks at besides its key pools. */
export interface KeyedAdviceInput<K, T> {
  entries: Iterable<KeyEntry<K, T>>;
  maxTotal: number;
  /** Live resources counted against `maxTotal`. */
  used: number;
  /** Creates waiting for room under `maxTotal` now. */
  waiting: number;
  /** Idle resources of other keys closed to make room, since the keyed pool was made. */
  evictions: number;
}

/** @internal Every key pool's advice (issue prefixed with the pool's name), then advice about `maxTotal`. */
export function keyedAdvice<K, T>(input: KeyedAdviceInput<K, T>): KeyedAdvice<K>[] {
  const out: KeyedAdvice<K>[] = [];
  for (const e of input.entries) {
    const key = (typeof e.key === 'string' ? redactString(e.key) : e.key) as K;
    for (const a of e.pool.advise()) out.push({ ...a, issue: `pool "${e.pool.name}": ${a.issue}`, key });
  }
  if (input.waiting > 0 && input.maxTotal !== Infinity) {
    const value = Math.ceil(input.maxTotal * 1.5);
    out.push({
      severity: 'warning',
      issue: `${input.waiting} create(s) waiting for room under maxTotal ${input.maxTotal} (${input.used} live)`,
      suggestion: `raise maxTotal to about ${value} if the backend can take it, or lower the busiest keys' max`,
      option: 'maxTotal',
      value,
      evidence: `${input.used}/${input.maxTotal} live; ${input.evictions} idle resource(s) of other keys closed to make room`,
    });
  }
  const order = { critical: 0, warning: 1, info: 2 } as const;
  return out.sort((a, b) => order[a.severity] - order[b.severity]);
}

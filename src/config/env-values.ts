import { PoolOptionsError } from '../core/errors.js';

/**
 * Parsers for one environment variable's value. Each names the variable, says what it
 * expected and shows what came: `DATABASE_POOL_SIZE: expected a non-negative integer,
 * got "twenty"`. Values are trimmed first; pool variables hold sizes and durations, so
 * showing a bad one is safe (connection variables, which may hold secrets, are never read).
 */

/** The spellings of a boolean, case-insensitive. */
export const TRUE_WORDS: readonly string[] = ['1', 'true', 'yes', 'on'];
/** The spellings of `false`, case-insensitive. */
export const FALSE_WORDS: readonly string[] = ['0', 'false', 'no', 'off'];

function shown(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

/** Throws the `PoolOptionsError` every parser throws. */
export function badValue(variable: string, expected: string, raw: string, why = ''): never {
  throw new PoolOptionsError(`${variable}: expected ${expected}, got ${shown(raw)}${why}`);
}

/** A decimal integer >= `least` (0 or 1), within the safe integer range. */
export function parseInteger(variable: string, raw: string, least: 0 | 1): number {
  const text = raw.trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < least) {
    badValue(variable, least === 1 ? 'a positive integer' : 'a non-negative integer', raw);
  }
  return n;
}

/** A whole number of milliseconds: >= 0, or > 0 when `positive`. */
export function parseMillis(variable: string, raw: string, positive: boolean): number {
  const text = raw.trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || (positive && n === 0)) {
    badValue(variable, `a ${positive ? 'positive' : 'non-negative'} whole number of milliseconds`, raw);
  }
  return n;
}

/** A number of seconds (decimals allowed, `2.5`), as milliseconds (rounded): >= 0, or > 0 when `positive`. */
export function parseSeconds(variable: string, raw: string, positive: boolean): number {
  const text = raw.trim();
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  // Rounded to whole ms; a positive value below half a millisecond is 1 ms, not 0 (which means "never").
  const ms = seconds > 0 ? Math.max(1, Math.round(seconds * 1000)) : seconds * 1000;
  if (!Number.isSafeInteger(ms) || (positive && ms === 0)) {
    badValue(variable, `a ${positive ? 'positive' : 'non-negative'} number of seconds`, raw);
  }
  return ms;
}

/** `1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off`, in any case. */
export function parseBoolean(variable: string, raw: string): boolean {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  return badValue(variable, 'a boolean (1/0, true/false, yes/no, on/off)', raw);
}

/** `lifo` or `fifo`, in any case. */
export function parseOrder(variable: string, raw: string): 'lifo' | 'fifo' {
  const word = raw.trim().toLowerCase();
  if (word === 'lifo' || word === 'fifo') return word;
  return badValue(variable, '"lifo" or "fifo"', raw);
}

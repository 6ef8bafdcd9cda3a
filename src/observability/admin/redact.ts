/** Keys whose values are never shown: passwords, secrets, tokens, keys, credentials. */
export const SECRET_KEY = /password|passwd|pwd|secret|token|key|credential/i;

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

// scheme://user:password@host → scheme://user:[redacted]@host
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):[^\s/?#@]*@/gi;
// password=…, sslkey=…, access_token=… inside connection strings and query strings
const PAIR =
  /\b([\w.-]*(?:password|passwd|pwd|secret|token|key|credential)[\w.-]*)(\s*=\s*)('[^']*'|"[^"]*"|[^\s;&,]+)/gi;

/** Removes the password of every URL in `s`, and the values of secret-looking `key=value` pairs. */
export function redactString(s: string): string {
  return s.replace(URL_PASSWORD, `$1:${REDACTED}@`).replace(PAIR, `$1$2${REDACTED}`);
}

/**
 * A copy of `value` safe to show: values under secret-looking keys (`password`,
 * `passwd`, `pwd`, `secret`, `token`, `key`, `credential`, in any case) are
 * replaced (unless `byKey` is false), URL passwords and secret `key=value` pairs inside
 * strings are removed, functions and binary data are named, cycles and deep nesting cut.
 */
export function redact(value: unknown, byKey = true): unknown {
  return walk(value, byKey, 0, new WeakSet<object>());
}

function walk(value: unknown, byKey: boolean, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'function') return '[function]';
  if (typeof value === 'bigint' || typeof value === 'symbol') return String(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof URL) return redactString(value.href);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return '[binary]';
  if (value instanceof Error) return redactString(`${value.name}: ${value.message}`);
  if (seen.has(value)) return '[circular]';
  if (depth >= 8) return '[…]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => walk(v, byKey, depth + 1, seen));
    if (value instanceof Map) return walk(Object.fromEntries(value), byKey, depth, seen);
    if (value instanceof Set) return walk([...value], byKey, depth, seen);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[redactString(k)] =
        byKey && SECRET_KEY.test(k) && v !== undefined && v !== null && v !== ''
          ? REDACTED
          : walk(v, byKey, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** `JSON.stringify` replacer keeping what JSON cannot say: `Infinity` and `NaN` become strings. */
export function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return String(v);
  return v;
}

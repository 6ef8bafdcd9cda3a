/**
 * Options objects a user keeps reading (`pool.options`) whose secrets no printing shows,
 * and the plain copies a driver reads: the part of the redaction module (`redact.ts`)
 * that works on objects rather than on what is shown of them.
 */
import { isPlain, isSecretKey, redactString } from './redact.js';

/**
 * A copy of an options object for a user to keep reading (`pool.options`), whose secrets no
 * printing shows. A property holding a secret (under a secret key, a string with URL
 * credentials, an array holding either) becomes a non-enumerable accessor, so
 * `util.inspect` (even with `showHidden`), `JSON.stringify`, `String()`, spreading and
 * `Object.keys` pass it by, while `options.password` still reads it. Plain objects below
 * (`ssl`, `tls`) are copied the same way (`options.ssl.key` still reads the key); anything
 * else (functions, class instances, Buffers, arrays without secrets) is kept as it is, and
 * so are properties already non-enumerable (hidden the same way). The caller's own object is
 * never changed. {@link revealSecrets} makes the copy a driver needs.
 */
export function hideSecrets<T>(options: T, depth = 0): T {
  if (!isPlainObject(options) || depth > 4) return options;
  const copy = Object.create(Object.getPrototypeOf(options)) as Record<string, unknown>;
  for (const key of Reflect.ownKeys(options)) {
    const desc = Object.getOwnPropertyDescriptor(options, key)!;
    if (typeof key !== 'string' || !('value' in desc)) {
      Object.defineProperty(copy, key, desc);
      continue;
    }
    const v = hideSecrets(desc.value as unknown, depth + 1);
    if (desc.enumerable === false || holdsSecret(key, desc.value)) hidden(copy, key, v);
    else copy[key] = v;
  }
  return copy as T;
}

/**
 * A copy of options made with {@link hideSecrets} for a driver to read as it reads the
 * user's own (`Object.assign`, spreading): every own string-keyed property, hidden or not,
 * enumerable again, at any depth of plain objects. Made when a connection is opened, never kept.
 */
export function revealSecrets<T>(options: T, depth = 0): T {
  if (!isPlainObject(options) || depth > 4) return options;
  const copy = Object.create(Object.getPrototypeOf(options)) as Record<string, unknown>;
  for (const key of Reflect.ownKeys(options)) {
    if (typeof key === 'string') copy[key] = revealSecrets((options as Record<string, unknown>)[key], depth + 1);
    else Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(options, key)!);
  }
  return copy as T;
}

/** Does `value`, under `key`, hold a secret that printing must not show? */
function holdsSecret(key: string, value: unknown, depth = 0): boolean {
  if (value === undefined || value === null || value === '' || depth > 4) return false;
  if (key !== '' && isSecretKey(key)) return true;
  if (typeof value === 'string') return redactString(value) !== value;
  if (Array.isArray(value)) return value.some((x) => holdsSecret('', x, depth + 1));
  if (key === '' && isPlainObject(value)) return Object.entries(value).some(([k, x]) => holdsSecret(k, x, depth + 1));
  return false;
}

function isPlainObject(v: unknown): v is object {
  return isPlain(v) && !Array.isArray(v);
}

/** Defines `key` on `o` as a non-enumerable accessor over `value`. */
export function hidden(o: object, key: string, value: unknown): void {
  let current = value;
  Object.defineProperty(o, key, {
    configurable: true,
    enumerable: false,
    get: () => current,
    set: (next: unknown) => {
      current = next;
    },
  });
}

/**
 * Keeps secrets out of everything lido shows: errors, logs, stats, `config()`, event
 * payloads, the admin handler, OpenTelemetry and Prometheus output, and the options
 * objects a user can print. One module for the core, every adapter and every exporter.
 * It knows no driver: a secret is found by its key (`password`, `ssl.key`,
 * `authorization`, …, see {@link isSecretKey}), by its place in a string (the password of
 * a URL, `password=…` in a connection string or query, an `Authorization:` header line),
 * or because an adapter told a {@link Secrets} its value (a password a function returned).
 */

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

// Key names, lower-cased with `-`, `_`, `.` and spaces removed (`proxy-authorization` →
// `proxyauthorization`, `ssl_key` → `sslkey`).
const SECRET_PART =
  /password|passwd|passphrase|secret|token|credential|apikey|privatekey|authorization|cookie|signature/;
const SECRET_EXACT = new Set(['pwd', 'pass', 'auth', 'key', 'pfx', 'sig', 'session', 'sessionid']);
const SECRET_END = /(?:key|pass|pwd|auth)$/;

/**
 * Is a value under this key a secret wherever it appears? `password`, `passwd`, `pwd`,
 * `passphrase`, `secret`, `token`, `credential(s)`, `key` and `…Key` (`ssl.key`,
 * `apiKey`, `privateKey`), `pfx`, `auth`, `authorization`, `proxy-authorization`,
 * `cookie`, `set-cookie`, `signature`, in any case and with any `-`/`_` spelling. Errs on
 * the side of hiding: `cacheKey` is hidden too; `keyPrefix`, `keepAlive`, `user` are not.
 */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_.\s]/g, '');
  return SECRET_EXACT.has(k) || SECRET_PART.test(k) || SECRET_END.test(k);
}

// scheme://userinfo@ — the authority up to its last `@` (a password may hold an unescaped `@`).
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)@/gi;
// name=value in connection strings and queries: `password=…`, `sslkey=…`, `access_token=…`.
const PAIR = /([A-Za-z_][\w.-]*)(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s;&,'"]+)/g;
// name: 'value' and "name": "value", as util.inspect and JSON print them.
const QUOTED = /(["']?)([A-Za-z_][\w.-]*)\1(\s*:\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/g;
// Header lines: `Authorization: Bearer …`, `Cookie: …`.
const HEADER_LINE = /^(\s*)((?:proxy-)?authorization|(?:set-)?cookie|x-api-key)(\s*:\s*)\S.*$/gim;

/**
 * `s` with credentials removed: the password of every URL (`postgres://app:[redacted]@db`;
 * all of an `http(s)` URL's user info, which is often a token alone), the values of
 * secret `name=value` pairs (`password=[redacted]`), of secret `name: 'value'` entries,
 * and of `Authorization:`/`Cookie:` header lines. Everything else is kept.
 */
export function redactString(s: string): string {
  if (s.length < 4) return s;
  let out = s;
  if (out.includes('://')) out = out.replace(URL_USERINFO, userinfo);
  if (out.includes('='))
    out = out.replace(PAIR, (m, name: string, eq: string) => (isSecretKey(name) ? name + eq + REDACTED : m));
  if (out.includes(':')) {
    out = out.replace(QUOTED, (m, q: string, name: string, colon: string) =>
      isSecretKey(name) ? `${q}${name}${q}${colon}'${REDACTED}'` : m,
    );
    out = out.replace(HEADER_LINE, `$1$2$3${REDACTED}`);
  }
  return out;
}

function userinfo(m: string, scheme: string, info: string): string {
  if (info === '' || info === REDACTED) return m;
  const colon = info.indexOf(':');
  if (/^(?:https?|wss?):\/\/$/i.test(scheme)) return `${scheme}${REDACTED}@`;
  if (colon === -1) return m; // a user name alone (postgres://app@db)
  return `${scheme}${info.slice(0, colon + 1)}${REDACTED}@`;
}

/**
 * The literal secrets of one pool (passwords as given or as a password function returned
 * them, URL passwords, TLS keys and passphrases, header values), scrubbed from any text
 * wherever they appear, on top of {@link redactString}'s patterns.
 */
export class Secrets {
  readonly #values = new Set<string>();
  /** The values, longest first (so that a secret inside another is not scrubbed first); made on use. */
  #sorted: string[] | null = null;

  /**
   * Remembers a secret value: a string, or a Buffer (by its text, and by the bytes as JSON
   * and hex print them); the lines of a multi-line one (a PEM key) each on their own, since
   * `util.inspect` and `JSON.stringify` print line breaks as `\n`. Values under 3
   * characters are left to the patterns: scrubbing them would garble messages.
   */
  add(value: unknown): void {
    if (Buffer.isBuffer(value)) {
      if (value.length >= 8) {
        this.#sorted = null;
        this.#values.add([...value].join(','));
        this.#values.add(value.toString('hex'));
      }
      value = value.toString('utf8');
    }
    if (typeof value !== 'string' || value.length < 3) return;
    this.#sorted = null;
    this.#values.add(value);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) this.#values.add(encoded);
    if (value.includes('\n'))
      for (const line of value.split(/\r?\n/)) {
        const t = line.trim();
        if (t.length >= 8 && !t.startsWith('-----')) this.#values.add(t);
      }
  }

  /** Remembers the credentials inside a URL or connection string: the password of its user info, secret pairs' values. */
  addUrl(url: unknown): void {
    if (typeof url !== 'string') return;
    for (const m of url.matchAll(URL_USERINFO)) {
      const info = m[2]!;
      const colon = info.indexOf(':');
      const secret = colon === -1 ? (/^(?:https?|wss?):\/\/$/i.test(m[1]!) ? info : '') : info.slice(colon + 1);
      this.add(secret);
      try {
        this.add(decodeURIComponent(secret));
      } catch {
        // a malformed escape: the raw form is remembered
      }
    }
    for (const m of url.matchAll(PAIR)) if (isSecretKey(m[1]!)) this.add(m[3]!.replace(/^['"]|['"]$/g, ''));
  }

  /**
   * Remembers every secret in an options object: values under secret keys (at any depth
   * of plain objects and arrays: `ssl.key`, `sentinels[0].password`) and the credentials
   * of URLs in its strings. Functions are skipped (what a password function returns is
   * added when it is called).
   */
  addFrom(options: unknown, depth = 0): void {
    if (depth > 4) return;
    if (typeof options === 'string') return this.addUrl(options);
    if (!isPlain(options)) return;
    for (const key of Reflect.ownKeys(options)) {
      if (typeof key !== 'string') continue;
      const v = (options as Record<string, unknown>)[key];
      if (isSecretKey(key) && (typeof v === 'string' || Buffer.isBuffer(v))) this.add(v);
      else if (isSecretKey(key) && Array.isArray(v)) for (const x of v) this.add(x);
      else this.addFrom(v, depth + 1);
    }
  }

  /** `s` with every remembered secret and every credential-looking part replaced. */
  text(s: string): string {
    let out = s;
    this.#sorted ??= [...this.#values].sort((a, b) => b.length - a.length);
    for (const v of this.#sorted) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return redactString(out);
  }

  /**
   * Scrubs an error in place and returns it: its message, stack and string properties, the
   * plain objects it carries (a driver's `command` with its arguments, replaced by a
   * redacted copy), and its `cause` and `errors`, down to 5 levels. Objects of other
   * classes it points to (a driver's client) are left alone.
   */
  error<E>(e: E): E {
    scrubError(e, this, 0, new Set());
    return e;
  }
}

function scrubError(e: unknown, secrets: Secrets, depth: number, seen: Set<unknown>): void {
  if (e === null || typeof e !== 'object' || seen.has(e) || depth > 5) return;
  seen.add(e);
  const o = e as Record<string, unknown>;
  for (const key of new Set(['message', 'stack', 'errors', ...Object.keys(o)])) {
    let v: unknown;
    try {
      v = o[key];
    } catch {
      continue;
    }
    let clean: unknown = v;
    if (typeof v === 'string') clean = secrets.text(v);
    else if (v instanceof Error) scrubError(v, secrets, depth + 1, seen);
    else if (Array.isArray(v) && key === 'errors') for (const x of v) scrubError(x, secrets, depth + 1, seen);
    else if (Array.isArray(v) || isPlain(v)) clean = redact(v, { secrets });
    if (clean !== v && JSON.stringify(clean) !== JSON.stringify(v)) assign(o, key, clean);
  }
  if (e instanceof Error && e.cause !== undefined && !seen.has(e.cause)) {
    if (typeof e.cause === 'string') assign(o, 'cause', secrets.text(e.cause));
    else scrubError(e.cause, secrets, depth + 1, seen);
  }
}

function assign(o: Record<string, unknown>, key: string, value: unknown): void {
  try {
    const own = Object.getOwnPropertyDescriptor(o, key);
    Object.defineProperty(o, key, {
      value,
      writable: true,
      configurable: true,
      enumerable: own?.enumerable ?? (key !== 'message' && key !== 'stack'),
    });
  } catch {
    // frozen or not configurable: nothing more can be done
  }
}

/** Options of {@link redact}. */
export interface RedactOptions {
  /** Replace values under secret keys (default true); false only scrubs strings (stats keyed by name). */
  byKey?: boolean;
  /** Literal secrets to scrub from strings too. */
  secrets?: Secrets;
}

/**
 * A copy of `value` fit to show: values under secret keys replaced by `[redacted]` (keys
 * of Maps and header lists too), strings scrubbed, functions named (`[function getPassword]`),
 * binary data summarised, errors shown as `Name: message`, cycles and depth past 8 cut.
 */
export function redact(value: unknown, options: RedactOptions | boolean = {}): unknown {
  // A boolean is `byKey`, as lido/admin's `redact(value, byKey)` has always taken it.
  const o = typeof options === 'boolean' ? { byKey: options } : options;
  return walk(value, o.byKey ?? true, o.secrets ?? null, 0, new Set<object>());
}

function walk(v: unknown, byKey: boolean, secrets: Secrets | null, depth: number, seen: Set<object>): unknown {
  if (typeof v === 'string') return secrets === null ? redactString(v) : secrets.text(v);
  if (typeof v === 'function') return `[function${v.name ? ` ${v.name}` : ''}]`;
  if (typeof v === 'bigint' || typeof v === 'symbol') return String(v);
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof URL) return walk(v.href, byKey, secrets, depth, seen);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return String(v);
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return '[binary]';
  if (v instanceof Error) return walk(`${v.name}: ${v.message}`, byKey, secrets, depth, seen);
  if (seen.has(v)) return '[circular]';
  if (depth >= 8) return '[…]';
  seen.add(v);
  try {
    const hide = (k: string, x: unknown): unknown =>
      byKey && isSecretKey(k) && x !== undefined && x !== null && x !== ''
        ? REDACTED
        : walk(x, byKey, secrets, depth + 1, seen);
    // An array of strings may be a flat header list (`['authorization', 'Bearer …']`) or a
    // command's arguments (`['AUTH', password]`): a value after a secret name is hidden.
    if (Array.isArray(v))
      return v.map((x, i) =>
        i > 0 && isName(v[i - 1]) ? hide(v[i - 1] as string, x) : walk(x, byKey, secrets, depth + 1, seen),
      );
    if (v instanceof Set) return walk([...v], byKey, secrets, depth, seen);
    const entries: Iterable<[unknown, unknown]> =
      v instanceof Map ? v : isHeaders(v) ? (v as Headers).entries() : Object.entries(v);
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries) {
      const key = walk(String(k), false, secrets, depth, seen) as string;
      out[key] = hide(String(k), x);
    }
    return out;
  } finally {
    seen.delete(v);
  }
}

/** A word that may name a secret (`password`, `proxy-authorization`), not a sentence. */
function isName(v: unknown): boolean {
  return typeof v === 'string' && v.length <= 64 && /^[A-Za-z][\w-]*$/.test(v);
}

function isHeaders(v: object): boolean {
  return typeof Headers === 'function' && v instanceof Headers;
}

/** A plain object (`{}` or `Object.create(null)`) or an array. */
export function isPlain(v: unknown): v is object {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Keeps secrets (passwords, connection-string credentials, TLS keys) out of every
 * error, log line, stats snapshot and config dump lido produces.
 */

export const REDACTED = '[redacted]';

// scheme://user:password@host → scheme://user:[redacted]@host (also when the URL is malformed).
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@\s]*@/gi;
// libpq key/value strings and URL query parameters: password=… / sslpassword=…
const KV_PASSWORD = /((?:^|[\s?&;])(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&;]+)/gi;

/** The secrets of one pool; literal values are scrubbed wherever they appear. */
export class Secrets {
  readonly #values = new Set<string>();

  /** Remembers a secret value (a password as given or as returned by a password function). */
  add(value: unknown): void {
    // Very short values would garble messages and reveal little; the patterns still catch them in URLs.
    if (typeof value === 'string' && value.length >= 3) this.#values.add(value);
  }

  /** Remembers the password inside a connection string, if it has one. */
  addConnectionString(cs: unknown): void {
    if (typeof cs !== 'string') return;
    for (const m of cs.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:([^@\s]*)@/gi)) {
      this.add(m[1]);
      try {
        this.add(decodeURIComponent(m[1]!));
      } catch {
        // a malformed escape: the raw form is already remembered
      }
    }
    for (const m of cs.matchAll(KV_PASSWORD)) this.add(m[2]!.replace(/^'|'$/g, ''));
  }

  /** The text with every known secret and credential-looking part replaced. */
  text(s: string): string {
    let out = s.replace(URL_USERINFO, `$1${REDACTED}@`).replace(KV_PASSWORD, `$1${REDACTED}`);
    for (const v of this.#values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  }

  /** Scrubs an error in place (message, stack, string properties, causes) and returns it. */
  error<E>(e: E): E {
    scrub(e, this, 0, new Set());
    return e;
  }
}

function scrub(e: unknown, secrets: Secrets, depth: number, seen: Set<unknown>): void {
  if (e === null || typeof e !== 'object' || seen.has(e) || depth > 5) return;
  seen.add(e);
  const o = e as Record<string, unknown>;
  for (const key of ['message', 'stack', ...Object.keys(o)]) {
    let v: unknown;
    try {
      v = o[key];
    } catch {
      continue;
    }
    if (typeof v === 'string') {
      const clean = secrets.text(v);
      if (clean !== v) {
        try {
          o[key] = clean;
        } catch {
          // read-only property: nothing more we can do
        }
      }
    } else if (key === 'cause' || key === 'errors' || v instanceof Error) {
      if (Array.isArray(v)) for (const x of v) scrub(x, secrets, depth + 1, seen);
      else if (key !== 'client') scrub(v, secrets, depth + 1, seen);
    }
  }
  if (e instanceof Error && e.cause !== undefined) scrub(e.cause, secrets, depth + 1, seen);
}

const SSL_SECRETS = new Set(['key', 'passphrase', 'pfx', 'cert', 'ca']);

/** A copy of connection options fit to show: secrets replaced, functions named. */
export function redactOptions(options: Record<string, unknown>, secrets: Secrets): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    const v = options[key];
    if (v === undefined) continue;
    if (/password|secret|token/i.test(key)) out[key] = REDACTED;
    else if (typeof v === 'function') out[key] = `[function ${v.name || 'anonymous'}]`;
    else if (typeof v === 'string') out[key] = secrets.text(v);
    else if (key === 'ssl' && v !== null && typeof v === 'object') {
      const ssl: Record<string, unknown> = {};
      for (const k of Object.keys(v)) ssl[k] = SSL_SECRETS.has(k) ? REDACTED : (v as Record<string, unknown>)[k];
      out[key] = ssl;
    } else out[key] = v;
  }
  if ('password' in options && !('password' in out) && options.password !== undefined) out.password = REDACTED;
  return out;
}

/** A connection string fit to print: `postgres://user:[redacted]@host/db`. */
export function redactConnectionString(connectionString: string): string {
  return new Secrets().text(connectionString);
}

/**
 * Errors of the Redis adapter. ioredis attaches the failing command to its errors,
 * arguments included: for a failed handshake that is `HELLO 3 AUTH default <password>`
 * or `AUTH <password>`. Nothing lido raises or reports carries those arguments, nor a
 * password in its message.
 */

import type { Secrets } from '../../core/util/redact.js';

const COPIED = ['code', 'errno', 'syscall', 'address', 'port'] as const;

/**
 * A copy of `e` safe to show: same name, scrubbed message and stack, the network fields
 * (`code`, `errno`, `syscall`, `address`, `port`), and the command's name only.
 */
export function sanitize(e: unknown, secrets: Secrets): Error {
  if (!(e instanceof Error)) return new Error(secrets.text(String(e)));
  const copy = new Error(secrets.text(e.message));
  copy.name = e.name;
  if (e.stack !== undefined) copy.stack = secrets.text(e.stack);
  const src = e as unknown as Record<string, unknown>;
  const dst = copy as unknown as Record<string, unknown>;
  for (const k of COPIED) if (src[k] !== undefined) dst[k] = src[k];
  const command = src.command as { name?: unknown } | undefined;
  if (command !== null && typeof command === 'object' && typeof command.name === 'string')
    dst.command = { name: command.name };
  return copy;
}

/** First word of a Redis error reply (`WRONGPASS`, `NOAUTH`, `ERR`, …), or undefined. */
function replyCode(message: string): string | undefined {
  const m = /^([A-Z][A-Z_-]+) /.exec(message);
  return m === null ? undefined : m[1];
}

/**
 * A connection to Redis could not be made (refused, unreachable, wrong password, bad
 * handshake). `code` is the network code (`ECONNREFUSED`) or the Redis error code
 * (`WRONGPASS`, `NOAUTH`); `target` is `host:port` or the socket path; `cause` is the
 * underlying error with any secret removed.
 */
export class RedisConnectError extends Error {
  /** The network code (`ECONNREFUSED`) or the Redis error code (`WRONGPASS`, `NOAUTH`), when known. */
  readonly code: string | undefined;
  /** Where the connection was going: `host:port`, or the socket path. Never credentials. */
  readonly target: string;

  constructor(target: string, cause: unknown, secrets: Secrets) {
    const safe = sanitize(cause, secrets);
    const code = (safe as { code?: unknown }).code;
    const reply = replyCode(safe.message);
    const auth =
      reply === 'WRONGPASS' || reply === 'NOAUTH' || /invalid password|invalid username-password/i.test(safe.message);
    const what = auth ? 'authentication failed' : 'connection failed';
    const hint = auth
      ? reply === 'NOAUTH'
        ? ' (the server requires a password: set redis.password or a redis://:password@host URL)'
        : ' (check redis.username/redis.password; the password is not shown)'
      : '';
    super(`Redis at ${target}: ${what}: ${safe.message}${hint}`, { cause: safe });
    this.name = 'RedisConnectError';
    this.code = typeof code === 'string' ? code : reply;
    this.target = target;
  }
}

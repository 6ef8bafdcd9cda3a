/** The connection options the target is read from. */
interface Where {
  connectionString?: unknown;
  host?: unknown;
  port?: unknown;
  database?: unknown;
  user?: unknown;
}

/**
 * @internal What a `PgPool` connects to, as the churn warning names it:
 * `host:port/database/user` (never the password), from `connectionString` or the options,
 * then the PG* environment variables and pg's defaults, as pg itself resolves them.
 */
export function pgTarget(o: Where, env: NodeJS.ProcessEnv = process.env): string {
  let host: unknown = o.host;
  let port: unknown = o.port;
  let database: unknown = o.database;
  let user: unknown = o.user;
  if (typeof o.connectionString === 'string') {
    try {
      const url = new URL(o.connectionString);
      host ??= decodeURIComponent(url.hostname) || url.searchParams.get('host') || undefined;
      port ??= url.port || undefined;
      database ??= decodeURIComponent(url.pathname.slice(1)) || undefined;
      user ??= decodeURIComponent(url.username) || undefined;
    } catch {
      // not a URL (a socket path or key=value string): the other sources decide
    }
  }
  user ??= env.PGUSER ?? env.USER ?? '';
  return `${String(host ?? env.PGHOST ?? 'localhost')}:${String(port ?? env.PGPORT ?? 5432)}/${String(
    database ?? env.PGDATABASE ?? user,
  )}/${String(user)}`;
}

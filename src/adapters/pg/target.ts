const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const part = (v: string | null | undefined): string | undefined =>
  v === null || v === undefined || v === '' ? undefined : decodeURIComponent(v);

/**
 * Where a `PgPool` connects, as `host:port/database/user`, read as pg reads it: the
 * connection string first, then the options, then `PGHOST`/`PGPORT`/`PGDATABASE`/`PGUSER`,
 * then pg's defaults. Never the password. For the churn warning, which counts pools per target.
 */
export function pgTarget(options: object): string {
  const o = options as Record<string, unknown>;
  const env = process.env;
  let url: URL | null = null;
  if (typeof o.connectionString === 'string') {
    try {
      url = new URL(o.connectionString);
    } catch {
      // not a URL: pg would fail on it too; the options and environment say the rest
    }
  }
  // `socket:/run/postgresql?db=app` names a unix socket directory and the database in the query.
  const socket = url?.protocol === 'socket:';
  const user =
    part(url?.username) ?? part(url?.searchParams.get('user')) ?? text(o.user) ?? env.PGUSER ?? env.USER ?? '';
  const host =
    part(socket ? url?.pathname : url?.hostname) ??
    part(url?.searchParams.get('host')) ??
    text(o.host) ??
    env.PGHOST ??
    'localhost';
  const port = part(url?.port) ?? (o.port == null ? undefined : String(o.port)) ?? env.PGPORT ?? '5432';
  const database =
    part(socket ? url?.searchParams.get('db') : url?.pathname.slice(1)) ?? text(o.database) ?? env.PGDATABASE ?? user;
  return `${host}:${port}/${database}/${user}`;
}

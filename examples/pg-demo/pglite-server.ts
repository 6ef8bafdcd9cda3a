/**
 * An embedded PostgreSQL for demos and tests: PGlite (Postgres compiled to WASM, in
 * this process) served over TCP by pglite-socket, on a free local port, so any
 * Postgres client, `pg` and lido's `PgPool` included, connects to it as to a server.
 *
 * ```ts
 * const pgl = await startEmbeddedPostgres();
 * const pool = new PgPool({ connectionString: pgl.connectionString }, pg.Client);
 * …
 * await pool.end();
 * await pgl.stop();
 * ```
 *
 * PGlite is one single-user database: the socket server multiplexes connections onto
 * it, one statement at a time (a transaction keeps the others waiting). Fine for a
 * demo; not a benchmark target.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgresOptions {
  /** Connections the socket server accepts at once. Default 16. */
  maxConnections?: number;
  /** Interface to listen on. Default 127.0.0.1 (never exposed beyond this host). */
  host?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /** PGlite data directory; default in memory. */
  dataDir?: string;
}

export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  connectionString: string;
  host: string;
  port: number;
  /** The PGlite instance, for direct queries without any socket. */
  db: PGlite;
  /** Stops the server and closes the database. Idempotent. */
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const host = options.host ?? '127.0.0.1';
  const db = await PGlite.create(options.dataDir);
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 16,
  });
  try {
    await server.start();
  } catch (e) {
    await db.close();
    throw e;
  }
  const port = Number(server.getServerConn().split(':').pop());
  let stopped: Promise<void> | null = null;
  return {
    connectionString: `postgres://postgres@${host.includes(':') ? `[${host}]` : host}:${port}/postgres`,
    host,
    port,
    db,
    stop: () =>
      (stopped ??= (async () => {
        await server.stop();
        await db.close();
      })()),
  };
}

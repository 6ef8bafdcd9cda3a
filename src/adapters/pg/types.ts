/**
 * The small part of `pg` that lido uses, typed structurally: lido never imports `pg`
 * (it is an optional peer dependency), it is handed the application's own `Client`
 * class or loads it lazily. `pg.Client` satisfies these interfaces, and so does any
 * compatible client (pg-native's `Client`, a test double).
 */

/** A row-returning result, as `pg` shapes it. */
export interface QueryResultLike<R = any> {
  /** The command tag of the statement run (`'SELECT'`, `'INSERT'`, …). */
  command: string | null;
  /** Rows returned or affected, as the server reports it; `null` if it reports none. */
  rowCount: number | null;
  /** The rows returned: objects keyed by column name, or arrays with `rowMode: 'array'`. */
  rows: R[];
  /** The columns of the rows (`name`, `dataTypeID`, …). */
  fields?: unknown[];
  [key: string]: unknown;
}

/** `{ text, values, name, rowMode, types }`, passed to `client.query` as is. */
export interface QueryConfigLike {
  /** The SQL, with `$1`, `$2`, … placeholders. */
  text: string;
  /** The placeholder values, in order. */
  values?: unknown[];
  /** A prepared statement's name: pg prepares it once per connection, then reuses it. */
  name?: string;
  /** `'array'`: each row is an array of values, not an object. */
  rowMode?: 'array';
  /** Type parsers for this query only (pg's `types`: `{ getTypeParser }`). */
  types?: unknown;
  [key: string]: unknown;
}

/** Node-style query callback. */
export type QueryCallback<R = any> = (err: Error | undefined, result: QueryResultLike<R>) => void;

/** What lido needs from one connection: a `pg.Client` (or compatible). */
export interface ClientLike {
  /** Callback form only: lido never relies on the promise form. */
  connect(callback: (err: Error | null | undefined) => void): void;
  /** Runs a query: text or config, then values and/or a callback, as `pg.Client#query`. */
  query(...args: any[]): any;
  /** Closes the connection; `callback` runs once it is closed. */
  end(callback?: (err?: Error) => void): any;
  /** A connection error: lido drops the client. */
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** The connection closed. */
  on(event: 'end', listener: () => void): unknown;
  /** Removes a listener added with `on`. */
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  /** An event's listeners (lido uses it to drop those a borrower added). */
  listeners?(event: string): Function[];
  /** Lets the socket keep the process alive again. */
  ref?(): void;
  /** Lets the process exit while the socket is open (idle clients, `allowExitOnIdle`). */
  unref?(): void;
  /** pg >= 8.20: `'I'` idle, `'T'` in a transaction, `'E'` in a failed transaction. */
  getTransactionStatus?(): string | null;
}

/** `pg.Client`, or any class making {@link ClientLike}s from the options object. */
export type ClientConstructor<C extends ClientLike = ClientLike> = new (config: any) => C;

/** A password, or a function giving one at each connect (rotated credentials). */
export type PasswordOption = string | (() => string | Promise<string>);

/** What is made of a session when a client comes back to the pool. */
export type ResetOnRelease = 'rollback' | 'discard';

/** Options shared by {@link pgFactory} and `PgPool`: how one connection is made and kept clean. */
export interface PgConnectionOptions<C extends ClientLike = ClientLike> {
  /** The `pg.Client` class to use (the application's own copy). Default: `require('pg').Client`. */
  Client?: ClientConstructor<C>;
  /** A `postgres://user:password@host:port/database` URL; its password is redacted everywhere. */
  connectionString?: string;
  /** The server's host name, IP address, or Unix socket directory. */
  host?: string;
  /** The server's TCP port (pg default 5432). */
  port?: number;
  /** The role to connect as. */
  user?: string;
  /** The database to connect to. */
  database?: string;
  /** A string, or a function evaluated at each connect. Never shown in errors, logs, stats or config. */
  password?: PasswordOption;
  /** pg's TLS option: `true`, or `tls.connect()` options; its `key`, `passphrase` and `pfx` are redacted everywhere. */
  ssl?: unknown;
  /** Called on each new client after it connected; a rejection fails that connect. */
  onConnect?: (client: C) => void | Promise<void>;
  /** `pg.Pool`'s `verify(client, done)`: runs on each new client; `done(err)` fails that connect. */
  verify?: (client: C & { release(err?: Error | boolean): void }, done: (err?: Error) => void) => void;
  /**
   * On release a client inside a transaction is always rolled back (or destroyed if that
   * fails). `'discard'` also runs `DISCARD ALL`, so no session state (SET, SET ROLE,
   * temp tables, prepared statements, LISTEN, advisory locks) reaches the next borrower.
   * Default `'rollback'`.
   */
  resetOnRelease?: ResetOnRelease;
  /** The pre-ping statement. Default `''` (an empty query: one round trip, no parse, no plan). */
  pingQuery?: string;
  /** `pg.Pool`'s `log(message, …)`. */
  log?: (...messages: unknown[]) => void;
  /** Any other `pg.Client` option (`binary`, `statement_timeout`, `application_name`, `types`, …): passed through. */
  [option: string]: unknown;
}

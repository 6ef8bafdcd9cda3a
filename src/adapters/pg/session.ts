/**
 * What lido reads of a pg client's session: is it usable, busy, inside a transaction?
 * pg keeps these in fields it does not document; each read falls back gracefully
 * (an unknown client is taken as usable, idle and of unknown transaction state).
 */
import type { ClientLike } from './types.js';

type Loose = Record<string, any>;

/** False once the connection is dead or ending (pg-pool's own release check). */
export function isQueryable(client: ClientLike): boolean {
  const c = client as Loose;
  return c._queryable !== false && c._ending !== true && c._ended !== true;
}

/**
 * True while queries sent or queued by the borrower have not finished, or while the
 * server's ReadyForQuery is still due: pg settles a failed query on its ErrorResponse,
 * before the ReadyForQuery that carries the new transaction status (`'E'` after
 * `BEGIN; SELECT 1/0`), so until then the status pg reports is stale.
 */
export function isBusy(client: ClientLike): boolean {
  const c = client as Loose;
  if (c.readyForQuery === false) return true;
  // pg >= 8.12 keeps these behind underscored names (the plain ones print deprecations).
  const active = '_activeQuery' in c ? c._activeQuery : c.activeQuery;
  const queue = ('_queryQueue' in c ? c._queryQueue : c.queryQueue) as unknown[] | undefined;
  const sent = c._sentQueryQueue as unknown[] | undefined;
  return (active !== null && active !== undefined) || (queue?.length ?? 0) > 0 || (sent?.length ?? 0) > 0;
}

/** Transaction state: 'I' idle, 'T' in a transaction, 'E' in a failed one, undefined unknown. */
export type TxStatus = 'I' | 'T' | 'E' | undefined;

/**
 * Follows the transaction state of one client, from the best source available:
 * 1. `client.getTransactionStatus()` (pg >= 8.20, and pg-native): the server's own
 *    ReadyForQuery status;
 * 2. the ReadyForQuery messages of `client.connection` (older pg): the same status;
 * 3. else the text of the statements sent (BEGIN/START TRANSACTION vs COMMIT/ROLLBACK/END/ABORT).
 */
export class TxTracker {
  #status: TxStatus = undefined;
  readonly #source: 'driver' | 'protocol' | 'text';

  constructor(client: ClientLike) {
    const c = client as Loose;
    if (typeof c.getTransactionStatus === 'function') {
      this.#source = 'driver';
    } else if (c.connection !== null && typeof c.connection === 'object' && typeof c.connection.on === 'function') {
      this.#source = 'protocol';
      this.#status = 'I';
      c.connection.on('readyForQuery', (msg: { status?: string } | undefined) => {
        const s = msg?.status;
        this.#status = s === 'I' || s === 'T' || s === 'E' ? s : undefined;
      });
    } else {
      this.#source = 'text';
      this.#status = 'I';
      const query = c.query;
      const self = this;
      c.query = function trackedQuery(this: unknown, config: unknown, ...rest: unknown[]) {
        const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
        if (typeof text === 'string') self.#sawText(text);
        return query.call(this, config, ...rest);
      };
    }
  }

  /** Where the status comes from (for tests and docs). */
  get source(): 'driver' | 'protocol' | 'text' {
    return this.#source;
  }

  status(client: ClientLike): TxStatus {
    if (this.#source === 'driver') {
      const s = (client as Loose).getTransactionStatus();
      return s === 'I' || s === 'T' || s === 'E' ? s : undefined;
    }
    return this.#status;
  }

  /** After lido itself ended the transaction (text tracking cannot see its own ROLLBACK otherwise). */
  markIdle(): void {
    if (this.#source === 'text') this.#status = 'I';
  }

  #sawText(text: string): void {
    if (/^\s*(BEGIN|START\s+TRANSACTION)\b/i.test(text)) this.#status = 'T';
    else if (/^\s*(COMMIT|END|ABORT|ROLLBACK)\b(?!\s+(WORK\s+|TRANSACTION\s+)?TO\b)/i.test(text)) this.#status = 'I';
  }
}

/** Forgets the statements pg believes are prepared (after DISCARD ALL deallocated them). */
export function forgetPreparedStatements(client: ClientLike): void {
  const c = client as Loose;
  const con = c.connection as Loose | undefined;
  if (con && typeof con === 'object') {
    if (con.parsedStatements && typeof con.parsedStatements === 'object') con.parsedStatements = {};
    if (con.submittedNamedStatements && typeof con.submittedNamedStatements === 'object')
      con.submittedNamedStatements = {};
  }
  if (c.namedQueries && typeof c.namedQueries === 'object') c.namedQueries = {}; // pg-native
}

const SESSION_EVENTS = ['notification', 'notice'] as const;

/** The listeners a client has right after connect, to restore on a discarding reset. */
export function listenerBaseline(client: ClientLike): Map<string, Function[]> | null {
  if (typeof client.listeners !== 'function') return null;
  const m = new Map<string, Function[]>();
  for (const e of SESSION_EVENTS) m.set(e, client.listeners(e).slice());
  return m;
}

/** Removes the `notification` / `notice` listeners a borrower added. */
export function dropBorrowerListeners(client: ClientLike, baseline: Map<string, Function[]> | null): void {
  if (baseline === null || typeof client.listeners !== 'function') return;
  for (const e of SESSION_EVENTS) {
    const keep = baseline.get(e) ?? [];
    for (const l of client.listeners(e)) if (!keep.includes(l)) client.removeListener(e, l as (...a: any[]) => void);
  }
}

/** SQLSTATEs that mean the connection itself is gone (class 08, admin/crash shutdown). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE'
  );
}

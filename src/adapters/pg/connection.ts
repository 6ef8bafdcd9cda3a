/** One pg connection's lifecycle steps: connect with abort, end within a bound, run a statement, clean a session. */
import { dropBorrowerListeners, forgetPreparedStatements, type TxTracker } from './session.js';
import type { ClientLike } from './types.js';

/** How long a graceful `client.end()` may take before the socket is destroyed. */
const END_TIMEOUT_MS = 5_000;

const noop = (): void => {};

/** What lido keeps per client (never enumerable on the client itself). */
export interface ClientState {
  tx: TxTracker;
  baseline: Map<string, Function[]> | null;
}

/** `client.connect(cb)`, destroying the socket when `signal` aborts (connect timeout, close). */
export function connect(client: ClientLike, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      kill(client);
    };
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      client.connect((err) => {
        signal.removeEventListener('abort', onAbort);
        if (!err) return resolve();
        client.on('error', noop); // a dead client may still report its end
        reject(aborted ? new Error('Connection terminated due to connection timeout', { cause: err }) : err);
      });
    } catch (e) {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    }
  });
}

/** Drops the socket at once. */
function kill(client: ClientLike): void {
  const stream = (client as { connection?: { stream?: { destroy?(): void } } }).connection?.stream;
  if (typeof stream?.destroy === 'function') stream.destroy();
  else {
    try {
      Promise.resolve(client.end()).catch(noop);
    } catch {
      // already ended
    }
  }
}

/** Ends a client gracefully, destroying its socket if that takes too long. Never rejects. */
export function end(client: ClientLike, log: (...m: unknown[]) => void): Promise<void> {
  client.on('error', (err: Error) => log('additional client error after disconnection', err));
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      kill(client);
      finish();
    }, END_TIMEOUT_MS);
    timer.unref();
    try {
      client.end(() => finish());
    } catch {
      kill(client);
      finish();
    }
  });
}

/** Runs `sql` with the callback form (no dependence on the client's promise support). */
function run(client: ClientLike, sql: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    client.query(sql, (err: Error | undefined) => (err ? reject(err) : resolve()));
  });
}

/** Rolls back an open transaction and, with `discard`, wipes the session. Throws => destroy. */
export async function cleanUp(
  client: ClientLike,
  state: ClientState | undefined,
  busy: boolean,
  discard: boolean,
): Promise<void> {
  // Queries the borrower left running finish first (pg runs them in order); the empty
  // query then brings a fresh transaction status back.
  if (busy) await run(client, '');
  const status = state?.tx.status(client);
  if (status !== 'I') {
    await run(client, 'ROLLBACK');
    state?.tx.markIdle();
  }
  if (discard) {
    await run(client, 'DISCARD ALL');
    forgetPreparedStatements(client);
    dropBorrowerListeners(client, state?.baseline ?? null);
  }
}

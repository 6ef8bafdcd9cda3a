/**
 * A stand-in for `pg.Client` for the unit tests of lido/pg: same callback shapes, same
 * undocumented fields lido reads (`_queryable`, `_ending`, `connection.stream`,
 * `getTransactionStatus()`), no server. Every class made by `fakePg()` shares one
 * controllable "server".
 */
import { EventEmitter } from 'node:events';

export interface FakeServer {
  /** Every client constructed, in order. */
  clients: FakeClient[];
  /** Every SQL text received, in order, across clients. */
  log: string[];
  /** Makes the next connects fail with this error (until cleared). */
  connectError: Error | null;
  /** Connects never complete (a server that accepts TCP and never answers). */
  hang: boolean;
  /** Queries whose text matches fail with a server error. */
  failQuery: RegExp | null;
  /** How long a connect takes (ms). Default 0 (next turn of the event loop). */
  connectDelayMs: number;
}

export interface FakeClient extends EventEmitter {
  config: Record<string, any>;
  queries: string[];
  refed: boolean;
  ended: boolean;
  _queryable: boolean;
  _ending: boolean;
  connection: { stream: { destroy(): void }; parsedStatements: Record<string, string> };
  connect(cb: (err?: Error | null) => void): void;
  query(text: any, values?: any, cb?: any): any;
  end(cb?: () => void): Promise<void> | void;
  getTransactionStatus(): string | null;
  ref(): void;
  unref(): void;
  /** The server ends this connection with an error (pg emits `error`, then `end`). */
  die(err?: Error): void;
}

export function fakePg(): { Client: new (config: any) => FakeClient; server: FakeServer } {
  const server: FakeServer = {
    clients: [],
    log: [],
    connectError: null,
    hang: false,
    failQuery: null,
    connectDelayMs: 0,
  };

  class Client extends EventEmitter implements FakeClient {
    config: Record<string, any>;
    queries: string[] = [];
    refed = true;
    ended = false;
    _queryable = true;
    _ending = false;
    #tx: string | null = null;
    #connectCb: ((err?: Error | null) => void) | null = null;
    connection = {
      stream: { destroy: () => this.#drop(new Error('Connection terminated unexpectedly')) },
      parsedStatements: {} as Record<string, string>,
    };

    constructor(config: any) {
      super();
      this.config = config;
      server.clients.push(this);
    }

    connect(cb: (err?: Error | null) => void): void {
      this.#connectCb = cb;
      if (server.hang) return;
      const err = server.connectError;
      const later = (fn: () => void) =>
        server.connectDelayMs > 0 ? setTimeout(fn, server.connectDelayMs) : setImmediate(fn);
      later(() => {
        if (this.#connectCb === null) return; // dropped meanwhile
        this.#connectCb = null;
        if (err) {
          this._queryable = false;
          cb(err);
        } else {
          this.#tx = 'I';
          cb(null);
        }
      });
    }

    query(text: any, values?: any, cb?: any): any {
      if (typeof values === 'function') {
        cb = values;
        values = undefined;
      }
      const sql = typeof text === 'string' ? text : text.text;
      this.queries.push(sql);
      server.log.push(sql);
      let promise: Promise<any> | undefined;
      if (typeof cb !== 'function') {
        promise = new Promise((resolve, reject) => {
          cb = (e: Error | undefined, r: unknown) => (e ? reject(e) : resolve(r));
        });
      }
      setImmediate(() => {
        if (!this._queryable) return cb(new Error('Client has encountered a connection error and is not queryable'));
        if (server.failQuery?.test(sql)) {
          if (this.#tx === 'T') this.#tx = 'E';
          return cb(Object.assign(new Error(`syntax error in ${sql}`), { code: '42601', severity: 'ERROR' }));
        }
        if (/^\s*BEGIN/i.test(sql)) this.#tx = 'T';
        else if (/^\s*(COMMIT|ROLLBACK)/i.test(sql)) this.#tx = 'I';
        cb(undefined, {
          command: sql.split(' ')[0]?.toUpperCase() || null,
          rowCount: 1,
          rows: [{ sql, values }],
          fields: [],
        });
      });
      return promise;
    }

    getTransactionStatus(): string | null {
      return this.#tx;
    }

    end(cb?: () => void): Promise<void> | void {
      this._ending = true;
      const done = new Promise<void>((resolve) => {
        if (this.ended) return resolve();
        setImmediate(() => {
          this.#finish();
          resolve();
        });
      });
      if (cb) {
        done.then(cb);
        return;
      }
      return done;
    }

    ref(): void {
      this.refed = true;
    }

    unref(): void {
      this.refed = false;
    }

    die(
      err = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    ): void {
      this.#drop(err);
    }

    #drop(err: Error): void {
      if (this.ended) return;
      this._queryable = false;
      if (this.#connectCb) {
        const cb = this.#connectCb;
        this.#connectCb = null;
        setImmediate(() => cb(err));
        this.#finish();
        return;
      }
      if (!this._ending) this.emit('error', err);
      this.#finish();
    }

    #finish(): void {
      if (this.ended) return;
      this.ended = true;
      this._queryable = false;
      process.nextTick(() => this.emit('end'));
    }
  }

  return { Client, server };
}

/** Lets timers of 0 ms, immediates and promise callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A tiny line-based TCP service for outage tests, and a pool factory of connections to it.
 *
 * The service (127.0.0.1, a free port) greets each connection with `HELLO` (after
 * `greetDelayMs`, the cost of a connect), answers `PING` with `PONG` and `WORK <ms>` with
 * `DONE` after that many ms. {@link lineFactory} makes a `Factory<LineConn>`: create
 * resolves once the greeting arrives (so a service that accepts and never answers makes
 * it hang until the pool aborts it), validate pings, destroy closes the socket, and watch
 * evicts a connection the moment its socket closes.
 */
import net from 'node:net';
import type { Factory } from '../../src/core/factory.js';

export interface LineService {
  readonly port: number;
  /** Connections open now. */
  readonly open: number;
  /** Connections accepted since start. */
  readonly accepted: number;
  /** Delay before the greeting, ms (the cost of a connect); may be changed at any time. */
  greetDelayMs: number;
  close(): Promise<void>;
}

export async function lineService(options: { greetDelayMs?: number } = {}): Promise<LineService> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const greet = setTimeout(() => socket.writable && socket.write('HELLO\n'), service.greetDelayMs);
    socket.on('close', () => clearTimeout(greet));
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (line === 'PING') socket.write('PONG\n');
        else if (line.startsWith('WORK '))
          setTimeout(() => socket.writable && socket.write('DONE\n'), Number(line.slice(5)));
        else socket.write('ERR\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const service: LineService = {
    port: (server.address() as net.AddressInfo).port,
    get open() {
      return sockets.size;
    },
    get accepted() {
      return accepted;
    },
    greetDelayMs: options.greetDelayMs ?? 0,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return service;
}

/** One connection to a {@link lineService}. */
export class LineConn {
  static #ids = 0;
  readonly id = ++LineConn.#ids;
  #buffer = '';
  #replies: ((line: string) => void)[] = [];
  #failures: ((e: Error) => void)[] = [];
  closed = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.#buffer += chunk.toString('latin1');
      for (let i = this.#buffer.indexOf('\n'); i >= 0; i = this.#buffer.indexOf('\n')) {
        const line = this.#buffer.slice(0, i);
        this.#buffer = this.#buffer.slice(i + 1);
        this.#failures.shift();
        this.#replies.shift()?.(line);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      const e = new Error('connection closed');
      this.#replies = [];
      for (const f of this.#failures.splice(0)) f(e);
    });
  }

  /** Sends one line and resolves with the reply; rejects when `signal` aborts or the socket closes. */
  request(line: string, signal?: AbortSignal): Promise<string> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => {
        // A reply may still come: the connection is out of step, so it must not be reused.
        this.socket.destroy();
        reject(signal!.reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#replies.push((l) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(l);
      });
      this.#failures.push((e) => {
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      });
      this.socket.write(`${line}\n`);
    });
  }
}

export interface LineFactoryStats {
  /** Connect attempts, with their start times (performance.now()). */
  attempts: number[];
  /** Errors of failed attempts. */
  errors: unknown[];
  connected: number;
  destroyed: number;
  /** Connections whose socket closed while watched. */
  evicted: number;
}

/** A pool factory of {@link LineConn}s to `127.0.0.1:port`, counting what it does. */
export function lineFactory(port: number): { factory: Factory<LineConn>; stats: LineFactoryStats } {
  const stats: LineFactoryStats = { attempts: [], errors: [], connected: 0, destroyed: 0, evicted: 0 };
  const factory: Factory<LineConn> = {
    create(signal) {
      stats.attempts.push(performance.now());
      return new Promise<LineConn>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        const fail = (e: unknown): void => {
          cleanup();
          socket.destroy();
          stats.errors.push(e);
          reject(e);
        };
        const onAbort = (): void => fail(signal.reason);
        const onError = (e: Error): void => fail(e);
        const onClose = (): void => fail(new Error('connection closed before the greeting'));
        let greeting = '';
        const onData = (chunk: Buffer): void => {
          greeting += chunk.toString('latin1');
          if (!greeting.includes('\n')) return;
          cleanup();
          if (!greeting.startsWith('HELLO\n')) return fail(new Error(`bad greeting ${JSON.stringify(greeting)}`));
          socket.on('error', () => {}); // reported through 'close' (watch) and failed requests
          const conn = new LineConn(socket);
          stats.connected++;
          resolve(conn);
          if (greeting.length > 6) socket.emit('data', Buffer.from(greeting.slice(6), 'latin1'));
        };
        const cleanup = (): void => {
          signal.removeEventListener('abort', onAbort);
          socket.off('error', onError);
          socket.off('close', onClose);
          socket.off('data', onData);
        };
        if (signal.aborted) return fail(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        socket.on('error', onError);
        socket.on('close', onClose);
        socket.on('data', onData);
      });
    },
    async validate(conn, signal) {
      return (await conn.request('PING', signal)) === 'PONG';
    },
    destroy(conn) {
      stats.destroyed++;
      conn.socket.destroy();
    },
    watch(conn, evict) {
      const onClose = (): void => {
        stats.evicted++;
        evict(new Error(`connection ${conn.id} closed`));
      };
      if (conn.closed) queueMicrotask(onClose);
      else conn.socket.on('close', onClose);
      return () => conn.socket.off('close', onClose);
    },
    isBroken: () => true,
  };
  return { factory, stats };
}

import net from 'node:net';

/**
 * A tiny line-based TCP service with a realistic connect cost: after the TCP handshake
 * it waits 20–50 ms (a stand-in for TLS + auth) before it says READY. Each line sent
 * is answered with `OK <line>` after `workMs`.
 */
export async function startService(
  workMs = 2,
): Promise<{ port: number; connections: () => number; stop: () => Promise<void> }> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    setTimeout(
      () => {
        if (socket.destroyed) return;
        socket.write('READY\n');
        let buffered = '';
        socket.on('data', (chunk) => {
          buffered += chunk.toString();
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            setTimeout(() => socket.destroyed || socket.write(`OK ${line}\n`), workMs);
          }
        });
      },
      20 + Math.random() * 30,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    connections: () => accepted,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A client connection to the service: one request at a time. */
export class Connection {
  #socket: net.Socket;
  #buffered = '';
  #pending: ((line: string) => void)[] = [];

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (chunk) => {
      this.#buffered += chunk.toString();
      let nl: number;
      while ((nl = this.#buffered.indexOf('\n')) >= 0) {
        const line = this.#buffered.slice(0, nl);
        this.#buffered = this.#buffered.slice(nl + 1);
        this.#pending.shift()?.(line);
      }
    });
  }

  /** Connects and waits for the service's READY (the expensive part). */
  static open(port: number, signal?: AbortSignal): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', signal });
      const conn = new Connection(socket);
      socket.once('error', reject);
      conn.#pending.push((line) =>
        line === 'READY' ? resolve(conn) : reject(new Error(`unexpected greeting ${line}`)),
      );
    });
  }

  /** Sends one request and resolves with the reply. */
  request(text: string): Promise<string> {
    return new Promise((resolve) => {
      this.#pending.push(resolve);
      this.#socket.write(`${text}\n`);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

/**
 * Local HTTP and HTTPS servers for the lido/http integration tests (127.0.0.1 only):
 * they count sockets (total, open now, peak open at once) so a test can see exactly how
 * many connections the pool holds. The HTTPS certificate is made at test time with the
 * machine's openssl (a self-signed P-256 certificate for 127.0.0.1 and localhost).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  readonly origin: string;
  readonly server: Server;
  /** Sockets accepted so far. */
  readonly accepted: number;
  /** Sockets open right now. */
  readonly open: number;
  /** Most sockets open at the same time. */
  readonly peakOpen: number;
  /** Every socket accepted, in order (closed ones included). */
  readonly sockets: Socket[];
  /** Replaces the request handler. */
  handle(handler: Handler): void;
  /** Resolves once `n` sockets have been accepted (bounded). */
  waitAccepted(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once exactly `n` sockets are open (bounded). */
  waitOpen(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

let cert: { key: string; cert: string } | null = null;

/** A self-signed certificate for 127.0.0.1 / localhost, made once per test file with openssl. */
export function testCertificate(): { key: string; cert: string } {
  if (cert !== null) return cert;
  const dir = mkdtempSync(join(tmpdir(), 'lido-http-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    cert = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
    return cert;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function until(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Starts a server on 127.0.0.1 (a random port); `tls` makes it HTTPS with {@link testCertificate}. */
export async function startServer(options: { tls?: boolean; handler?: Handler } = {}): Promise<TestServer> {
  let handler: Handler = options.handler ?? ((req, res) => res.end(`ok ${req.method} ${req.url}`));
  const listener = (req: IncomingMessage, res: ServerResponse) => handler(req, res);
  const server: Server = options.tls ? createHttps(testCertificate(), listener) : createHttp(listener);
  const sockets: Socket[] = [];
  let open = 0;
  let peakOpen = 0;
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.push(socket);
    open++;
    if (open > peakOpen) peakOpen = open;
    socket.once('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    server,
    get accepted() {
      return sockets.length;
    },
    get open() {
      return open;
    },
    get peakOpen() {
      return peakOpen;
    },
    sockets,
    handle(h) {
      handler = h;
    },
    waitAccepted: (n, timeoutMs = 5_000) =>
      until(
        () => sockets.length >= n,
        timeoutMs,
        () => `${n} accepted sockets (have ${sockets.length})`,
      ),
    waitOpen: (n, timeoutMs = 5_000) =>
      until(
        () => open === n,
        timeoutMs,
        () => `${n} open sockets (have ${open})`,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits for `cond` (polling every 5 ms), failing after `timeoutMs`. */
export function waitFor(cond: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  return until(cond, timeoutMs, () => what);
}

/**
 * Registers an `afterEach` that runs, last first, every clean-up handed to the returned
 * function during the test (servers closed, pools destroyed).
 */
export function deferEach(): (cleanup: () => Promise<unknown>) => void {
  const pending: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const f of pending.splice(0).reverse()) await f();
  });
  return (cleanup) => void pending.push(cleanup);
}

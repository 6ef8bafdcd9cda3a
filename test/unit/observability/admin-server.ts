import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Serves `handler` on a free loopback port and returns its base URL; the server's close
 * (every connection cut) goes into `cleanups`, for the test file's afterEach to run.
 */
export async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  cleanups: (() => unknown)[],
): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// A loopback TCP port nobody listens on right now: for a process the caller is about to start (a child hub, a private
// database server) that must be told its port up front. Another process may take it first; callers retry or fail.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

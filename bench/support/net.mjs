// What the benchmarks that start servers share: a free loopback port to give a server, and the
// wait until it accepts connections.
import { createConnection, createServer } from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls until a connect succeeds: `address` is a port on 127.0.0.1 or a unix socket path. */
export async function waitUntilListening(address, timeoutMs = 10_000) {
  const target = typeof address === 'number' ? { port: address, host: '127.0.0.1' } : { path: address };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = createConnection(target, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${address} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Running one of these servers as a process: listen, say where, stop cleanly when told to.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens, reports the base URL, and resolves once `until` settles and the server has closed. */
export async function serveUntil(server: Server, host: string, port: number, until: Promise<void>, onListening: (baseUrl: string) => void): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  onListening(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
  await until;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
    // Keep-alive connections would hold close() open; in-flight requests have had their chance.
    server.closeIdleConnections();
  });
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilTerminated(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export type ListenAddress = { readonly ok: true; readonly host: string; readonly port: number } | { readonly ok: false; readonly error: string };

/** Host and port from command-line text; loopback unless told otherwise. */
export function listenAddress(host: string | undefined, port: string | undefined, defaultPort: number): ListenAddress {
  const value = port === undefined ? defaultPort : Number(port);
  if (!Number.isInteger(value) || value < 0 || value > 65_535 || (port !== undefined && !/^\d+$/.test(port))) return { ok: false, error: `--port must be 0–65535, got "${port ?? ''}"` };
  return { ok: true, host: host ?? '127.0.0.1', port: value };
}

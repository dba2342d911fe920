// The operations endpoint of a plugin-server or runner process: GET /metrics (Prometheus text
// format) and GET /healthz. Loopback by default; a port already in use is reported, never fatal.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  /** Resolves with the bound port once listening, or undefined when it could not listen. */
  readonly listening: Promise<number | undefined>;
  close(): Promise<void>;
}

export function startMetricsServer(registry: Registry, host: string, port: number, onError: (message: string) => void): MetricsServer {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    }
  });
  // Scrapes must never keep the process alive on shutdown.
  server.unref();
  const listening = new Promise<number | undefined>((resolve) => {
    server.once('error', (error) => {
      onError(`tollgate: metrics endpoint ${host}:${port} not started: ${error.message}`);
      resolve(undefined);
    });
    server.listen(port, host, () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
  return {
    listening,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

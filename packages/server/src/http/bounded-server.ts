// The Node HTTP server both endpoints run on, with explicit bounds so a slow client can't hold a
// connection: Node's own defaults give headers 60 s and a whole request 300 s, and look for
// overdue connections only every 30 s. Stripe and operators send small requests at once.
import { createServer, type RequestListener, type Server } from 'node:http';

export const SERVER_TIMEOUTS = {
  /** From the connection (or the previous answer) to the end of the request headers: else 408 and closed. */
  headersMs: 5_000,
  /** For the whole request, body included (bodies are also capped in size, readBody): else 408 and closed. */
  requestMs: 10_000,
  /** An idle kept-alive connection is closed after this. */
  keepAliveMs: 5_000,
  /** How often the server looks for connections past the headers or request bound. */
  checkEveryMs: 500,
} as const;

export function createBoundedServer(listener: RequestListener): Server {
  return createServer(
    {
      headersTimeout: SERVER_TIMEOUTS.headersMs,
      requestTimeout: SERVER_TIMEOUTS.requestMs,
      keepAliveTimeout: SERVER_TIMEOUTS.keepAliveMs,
      connectionsCheckingInterval: SERVER_TIMEOUTS.checkEveryMs,
    },
    listener,
  );
}

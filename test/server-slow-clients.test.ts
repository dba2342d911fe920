// Slow clients can't hold the admin or webhook server's connections: real sockets that trickle
// their headers or their body one byte per second, send nothing, or stay idle after an answer are
// closed within the documented bounds (SERVER_TIMEOUTS, packages/server/src/http/bounded-server.ts).
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts, createMemoryStore, systemClock } from '../packages/engine/src/index.js';
import { createAdminServer } from '../packages/server/src/admin/admin-handler.js';
import { billingMapFromProject } from '../packages/server/src/stripe/billing-map.js';
import { createStripeWebhookServer } from '../packages/server/src/stripe/webhook-handler.js';
import { billingProject } from '../packages/server/src/test-support/billing-project.js';
import { listen, type Listening } from '../packages/server/src/test-support/listen.js';

/** The bounds the servers promise (packages/server/README.md), plus the first byte's second, the server's check interval and scheduling slack on a busy machine. */
const HEADERS_BOUND_MS = 5_000;
const REQUEST_BOUND_MS = 10_000;
const IDLE_BOUND_MS = 5_000;
const SLACK_MS = 2_500;

interface Closed {
  readonly afterMs: number;
  readonly received: string;
}

/** Opens a socket, writes `atOnce`, then `slowly` one byte a second (then nothing), and reports when the server closed it. */
function trickle(url: string, atOnce: string, slowly = ''): Promise<Closed> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname, () => socket.write(atOnce));
    let received = '';
    let sent = 0;
    const ticker = setInterval(() => {
      if (sent < slowly.length && !socket.destroyed) socket.write(slowly[sent++] ?? '');
    }, 1_000);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server still held the connection after ${Date.now() - started} ms`));
    }, REQUEST_BOUND_MS + 4 * SLACK_MS);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(ticker);
      clearTimeout(giveUp);
      resolve({ afterMs: Date.now() - started, received });
    });
  });
}

const servers: [string, () => Server, string][] = [
  ['webhook', () => createStripeWebhookServer({ secret: 'whsec_test_0123456789abcdef', billing: billingMapFromProject(billingProject()), stores: [createMemoryStore()] }), '/webhooks/stripe'],
  ['admin', () => createAdminServer({ accounts: createAccounts(createMemoryStore(), systemClock), token: 'test-admin-token-0123456789' }), '/v1/accounts/alice'],
];

describe.each(servers)('the %s server against slow clients', (_, create, path) => {
  let server: Listening;
  beforeAll(async () => {
    server = await listen(create());
  });
  afterAll(async () => {
    await server.close();
  });

  it.concurrent('closes, with 408, a connection that trickles its headers, within the headers bound', async () => {
    const closed = await trickle(server.url, '', `POST ${path} HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(60)}\r\n\r\n`);
    expect(closed.received).toMatch(/^HTTP\/1\.1 408/);
    expect(closed.afterMs).toBeLessThan(HEADERS_BOUND_MS + SLACK_MS);
  }, 30_000);

  it.concurrent('closes a connection that sends nothing within the headers bound', async () => {
    expect((await trickle(server.url, '')).afterMs).toBeLessThan(HEADERS_BOUND_MS + SLACK_MS);
  }, 30_000);

  it.concurrent('closes a connection that trickles its body within the request bound', async () => {
    const headers = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer test-admin-token-0123456789\r\nStripe-Signature: t=1,v1=00\r\nContent-Length: 100\r\n\r\n`;
    const closed = await trickle(server.url, headers, '{'.repeat(100));
    expect(closed.afterMs).toBeLessThan(REQUEST_BOUND_MS + SLACK_MS);
  }, 30_000);

  it.concurrent('closes a kept-alive connection left idle after an answer within the idle bound', async () => {
    const closed = await trickle(server.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(closed.received).toMatch(/^HTTP\/1\.1 200/);
    expect(closed.afterMs).toBeLessThan(IDLE_BOUND_MS + SLACK_MS);
  }, 30_000);
});

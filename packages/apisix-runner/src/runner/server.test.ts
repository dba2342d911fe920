// The runner's connection layer against the APISIX-side client, in one process: conf tokens,
// retries, ExtraInfo, concurrency and error answers. The process-level suites live in /test.
import { linkSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApisixSide } from '../../../../test/support/apisix-side/apisix-side.js';
import type { RewriteAction } from '../protocol/messages.js';
import type { CallHandler } from './handler.js';
import { noActionHandler } from './handler.js';
import { parseListenAddress, startRunnerServer, type RunnerServer } from './server.js';

let dir: string;
let socketPath: string;
const servers: RunnerServer[] = [];
const sides: ApisixSide[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runner-'));
  socketPath = join(dir, 'runner.sock');
});
afterEach(async () => {
  for (const side of sides.splice(0)) side.close();
  for (const server of servers.splice(0)) await server.close(50);
  rmSync(dir, { recursive: true, force: true });
});

async function start<C>(handler: CallHandler<C>, confTtlMs = 60_000): Promise<RunnerServer> {
  const server = await startRunnerServer({ socketPath, handler, confTtlMs });
  servers.push(server);
  return server;
}
function side(options: Partial<ConstructorParameters<typeof ApisixSide>[0]> = {}): ApisixSide {
  const created = new ApisixSide({ socketPath, readTimeoutMs: 2000, ...options });
  sides.push(created);
  return created;
}

const route = { id: '1', conf: [{ name: 'echo', value: '{}' }] };

/** Echoes what it saw as a Rewrite header, so tests can check the request the runner decoded. */
const echoHandler: CallHandler<string> = {
  prepare: (conf) => (conf.every((c) => c.name === 'echo') ? { ok: true, conf: conf.map((c) => c.value ?? '').join(',') } : { ok: false, problems: ['unknown plugin'] }),
  reqCall: async (conf, req, context) => {
    const [consumer] = req.headers.some((h) => h.name === 'x-want-consumer') ? await context.variables(['consumer_name']) : [];
    const action: RewriteAction = {
      kind: 'rewrite',
      headers: [
        { name: 'x-seen', value: JSON.stringify({ conf, method: req.method, path: req.path, args: req.args, consumer: consumer ?? null }) },
      ],
      args: [],
      respHeaders: [],
    };
    return action;
  },
  respCall: (_conf, req, context) => noActionHandler.respCall(null, req, context),
};

describe('runner server', () => {
  it('listens on the socket with a mode nginx workers of another user can connect to', async () => {
    await start(noActionHandler);
    const mode = statSync(socketPath).mode & 0o777;
    expect(mode).toBe(0o766);
  });

  it('creates the socket with its mode under any umask, and gives the umask back', async () => {
    // The socket gets its mode from the umask at bind(): a strict umask must neither leak into
    // the socket nor be changed for the rest of the process.
    const previous = process.umask(0o077);
    try {
      servers.push(await startRunnerServer({ socketPath, handler: noActionHandler, confTtlMs: 1000, socketMode: 0o760 }));
      expect(statSync(socketPath).mode & 0o777).toBe(0o760);
      expect(process.umask(previous)).toBe(0o077);
    } finally {
      process.umask(previous);
    }
  });

  it('replaces a stale socket but refuses to clobber a regular file', async () => {
    const first = await start(noActionHandler);
    // A crashed runner leaves its socket file behind: keep a second name for the inode, then stop.
    linkSync(socketPath, join(dir, 'stale.sock'));
    await first.close(10);
    servers.length = 0;
    const stale = join(dir, 'stale.sock');
    expect(statSync(stale).isSocket()).toBe(true);
    servers.push(await startRunnerServer({ socketPath: stale, handler: noActionHandler, confTtlMs: 1000 }));
    expect(await side({ socketPath: stale }).request(route, { method: 'GET', uri: '/' })).toMatchObject({ kind: 'proxied' });
    writeFileSync(join(dir, 'file.sock'), 'not a socket');
    await expect(startRunnerServer({ socketPath: join(dir, 'file.sock'), handler: noActionHandler, confTtlMs: 1 })).rejects.toThrow(/not a socket/);
  });

  it('parses APISIX_LISTEN_ADDRESS', () => {
    expect(parseListenAddress('unix:/tmp/a.sock')).toEqual({ ok: true, socketPath: '/tmp/a.sock' });
    expect(parseListenAddress('/tmp/a.sock').ok).toBe(false);
    expect(parseListenAddress(undefined).ok).toBe(false);
    expect(parseListenAddress('unix:').ok).toBe(false);
  });

  it('prepares a conf once and answers calls with no action', async () => {
    await start(noActionHandler);
    const apisix = side();
    const first = await apisix.request(route, { method: 'GET', uri: '/a?x=1' });
    const second = await apisix.request(route, { method: 'GET', uri: '/b' });
    expect(first).toMatchObject({ kind: 'proxied', attempts: 1 });
    expect(second.kind === 'proxied' && second.upstream.uri).toBe('/b');
  });

  it('decodes the request fields APISIX sends', async () => {
    await start(echoHandler);
    const outcome = await side().request(route, { method: 'PUT', uri: '/hello?xx=y&xx=z&y=&z', headers: [['Host', 'h.example'], ['X-Want-Consumer', '1']], vars: { consumer_name: 'jack' } });
    expect(outcome.kind).toBe('proxied');
    if (outcome.kind !== 'proxied') return;
    expect(JSON.parse(outcome.upstream.headers.get('x-seen')?.[0] ?? '')).toEqual({
      conf: '{}',
      method: 'PUT',
      path: '/hello',
      args: [{ name: 'xx', value: 'y' }, { name: 'xx', value: 'z' }, { name: 'y', value: '' }, { name: 'z' }],
      consumer: 'jack',
    });
    expect(outcome.extraInfo).toEqual([{ kind: 'var', name: 'consumer_name' }]);
  });

  it('asks no ExtraInfo when the handler needs none', async () => {
    await start(echoHandler);
    const outcome = await side().request(route, { method: 'GET', uri: '/' });
    expect(outcome.extraInfo).toEqual([]);
  });

  it('answers an unknown token with CONF_TOKEN_NOT_FOUND, which APISIX recovers from by re-preparing', async () => {
    const server = await start(noActionHandler);
    const apisix = side();
    expect(await apisix.request(route, { method: 'GET', uri: '/' })).toMatchObject({ kind: 'proxied', attempts: 1 });
    // A runner restart loses every token while APISIX still holds them.
    await server.close(10);
    servers.length = 0;
    await start(noActionHandler);
    expect(await apisix.request(route, { method: 'GET', uri: '/' })).toMatchObject({ kind: 'proxied', attempts: 2 });
  });

  it('gives up after 3 attempts when tokens never stick, then 503 or pass-through', async () => {
    // A conf cache whose entries expire immediately: every call misses.
    await start(noActionHandler, 0);
    const apisix = side();
    expect(await apisix.request(route, { method: 'GET', uri: '/' })).toMatchObject({ kind: 'failed', status: 503, attempts: 3, error: expect.stringContaining('conf token not found') });
    expect(await apisix.request({ ...route, allowDegradation: true }, { method: 'GET', uri: '/x' })).toMatchObject({ kind: 'proxied', attempts: 3, degraded: expect.stringContaining('conf token not found') });
  });

  it('rejects a conf the handler refuses with BAD_REQUEST, without retrying', async () => {
    await start(echoHandler);
    const outcome = await side().request({ id: '2', conf: [{ name: 'other', value: '{}' }] }, { method: 'GET', uri: '/' });
    expect(outcome).toMatchObject({ kind: 'failed', attempts: 1, error: 'failed to receive RPC_PREPARE_CONF: bad request' });
  });

  it('answers SERVICE_UNAVAILABLE when the handler throws, and keeps serving', async () => {
    let calls = 0;
    await start<null>({
      ...noActionHandler,
      reqCall: () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
        return { kind: 'none' };
      },
    });
    const apisix = side();
    expect(await apisix.request(route, { method: 'GET', uri: '/' })).toMatchObject({ kind: 'failed', error: 'failed to receive RPC_HTTP_REQ_CALL: service unavailable' });
    expect(await apisix.request(route, { method: 'GET', uri: '/' })).toMatchObject({ kind: 'proxied' });
  });

  it('serves PrepareConf on a second connection while a call connection is open, and many calls at once', async () => {
    const server = await start(echoHandler);
    const apisix = side();
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => apisix.request({ id: String(i % 5), conf: [{ name: 'echo', value: String(i % 5) }] }, { method: 'GET', uri: `/r${i}`, headers: [['x-want-consumer', '1']], vars: { consumer_name: `c${i}` } })),
    );
    outcomes.forEach((outcome, i) => {
      expect(outcome.kind).toBe('proxied');
      if (outcome.kind === 'proxied') expect(JSON.parse(outcome.upstream.headers.get('x-seen')?.[0] ?? '')).toMatchObject({ conf: String(i % 5), path: `/r${i}`, consumer: `c${i}` });
    });
    expect(server.connections).toBeGreaterThan(1);
  });

  it('answers a frame of an unexpected type with BAD_REQUEST and keeps the connection', async () => {
    await start(noActionHandler);
    const reply = await rawExchange(Buffer.from([9, 0, 0, 0]));
    expect(reply.subarray(0, 1)[0]).toBe(0);
  });

  it('closes the connection after an oversized frame header, answering BAD_REQUEST first', async () => {
    const server = await startRunnerServer({ socketPath, handler: noActionHandler, confTtlMs: 1000, maxPayloadBytes: 16 });
    servers.push(server);
    const reply = await rawExchange(Buffer.from([2, 0, 1, 0]));
    expect(reply.subarray(0, 1)[0]).toBe(0);
  });

  it('removes its socket on close, letting an in-flight call answer first', async () => {
    let release: () => void = () => undefined;
    const server = await start<null>({ ...noActionHandler, reqCall: () => new Promise((resolve) => (release = () => { resolve({ kind: 'none' }); })) });
    const pending = side().request(route, { method: 'GET', uri: '/' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = server.close(1000);
    release();
    expect(await pending).toMatchObject({ kind: 'proxied' });
    await closed;
    servers.length = 0;
    expect(() => statSync(socketPath)).toThrow();
  });
});

describe('runner server draining', () => {
  const asksConsumer: CallHandler<string> = { ...echoHandler, reqCall: (conf, req, context) => echoHandler.reqCall(conf, { ...req, headers: [...req.headers, { name: 'x-want-consumer', value: '1' }] }, context) };
  const request = { method: 'GET', uri: '/', vars: { consumer_name: 'jack' } };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('answers a call still waiting for its ExtraInfo answer when the grace ends, and the next call on its connection', async () => {
    const server = await start(asksConsumer);
    let stopping: Promise<void> | undefined;
    // APISIX answers the runner's question 150 ms late; the grace ends 50 ms into that wait.
    const apisix = side({
      beforeExtraInfoReply: async () => {
        stopping ??= server.close(50, 1000);
        await sleep(150);
      },
    });
    const outcome = await apisix.request(route, request);
    expect(outcome).toMatchObject({ kind: 'proxied', extraInfo: [{ kind: 'var', name: 'consumer_name' }] });
    if (outcome.kind === 'proxied') expect(JSON.parse(outcome.upstream.headers.get('x-seen')?.[0] ?? '')).toMatchObject({ consumer: 'jack' });
    // APISIX pooled that connection and takes it again at once (post-resp), before noticing a close.
    expect(await apisix.respond(route, request, { status: 200, headers: [], body: Buffer.from('ok') })).toMatchObject({ kind: 'answered', status: 200 });
    await stopping;
    servers.length = 0;
    expect(server.connections).toBe(0);
  });

  it('answers a call whose handler is still working when the grace ends', async () => {
    let release: () => void = () => undefined;
    const server = await start<null>({ ...noActionHandler, reqCall: () => new Promise((resolve) => (release = () => { resolve({ kind: 'none' }); })) });
    const pending = side().request(route, { method: 'GET', uri: '/' });
    await vi.waitFor(() => { expect(server.connections).toBeGreaterThan(0); });
    const closed = server.close(20, 1000);
    await sleep(100);
    release();
    expect(await pending).toMatchObject({ kind: 'proxied' });
    await closed;
    servers.length = 0;
  });

  it('closes idle pooled connections when the grace ends and cuts a call that outlives the limit', async () => {
    const server = await start<null>({ ...noActionHandler, reqCall: (_conf, req) => (req.path === '/hang' ? new Promise(() => undefined) : { kind: 'none' }) });
    const pooled = side();
    expect(await pooled.request(route, { method: 'GET', uri: '/' })).toMatchObject({ kind: 'proxied' });
    const hanging = side().request(route, { method: 'GET', uri: '/hang' });
    await vi.waitFor(() => { expect(server.connections).toBe(4); });
    const began = Date.now();
    const closed = server.close(50, 300);
    await sleep(150);
    // The idle pooled connections are gone after the grace; the hanging call's is kept.
    expect(server.connections).toBe(1);
    expect(await hanging).toMatchObject({ kind: 'failed', error: expect.stringContaining('failed to receive RPC_HTTP_REQ_CALL') });
    await closed;
    servers.length = 0;
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
  });
});

describe('runner server handing over its socket path', () => {
  it('leaves the socket of a runner that took over its path (an APISIX reload) in place when it closes', async () => {
    const old = await start(noActionHandler);
    const successor = await start(noActionHandler);
    await old.close(10);
    expect(statSync(socketPath).isSocket()).toBe(true);
    expect(await side().request(route, { method: 'GET', uri: '/' })).toMatchObject({ kind: 'proxied' });
    expect(successor.connections).toBeGreaterThan(0);
  });
});

/** Writes raw bytes and collects whatever comes back until the runner closes or goes quiet. */
function rawExchange(bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = createConnection(socketPath, () => socket.write(bytes));
    const done = () => {
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      setTimeout(done, 20);
    });
    socket.on('close', done);
    socket.on('error', done);
  });
}

// When a sidecar connection ends, which unanswered requests may be sent again. The sidecar writes
// GOAWAY as the last frame of every connection it ends in order (shutdown, idle timeout, after a
// refused frame), after the answers to everything it read: a request still unanswered then was
// never read. A connection that ends without GOAWAY (a killed sidecar, a drain out of time) may
// have had its requests decided and charged. The Lua adapters send a request again only in the
// first case, so no decision is ever made twice.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../packages/apisix-runner/src/index.js';
import { createRuntime, type EngineConfig } from '../packages/engine/src/index.js';
import { FrameType, SidecarHandler, startSidecarServer, type SidecarServer } from '../packages/sidecar/src/index.js';
import { luaSkipReason, send, startNginx, startUpstream, type RecordingUpstream } from './support/lua-nginx.js';
import { scriptedPolicy, startScriptedSidecar } from './support/scripted-sidecar.js';
import { SidecarClient } from './support/sidecar.js';

const luaSkip = luaSkipReason();
if (luaSkip !== undefined) console.warn(luaSkip);

const policy: EngineConfig = {
  version: 1,
  policy: 'goaway',
  routes: [{ name: 'r', paths: ['/r'] }],
  identity: { auth: 'none', limitBy: 'ip' },
  plans: [{ name: 'free', plan: { rateLimit: { day: 100 } } }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sidecar-goaway-'));
  chmodSync(dir, 0o755);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the sidecar ends a connection', () => {
  /** Decisions are answered this much later than the engine makes them. */
  let holdMs = 0;
  const started: SidecarServer[] = [];
  const start = async (name: string, idleTimeoutMs?: number): Promise<SidecarServer> => {
    const handler = new SidecarHandler(createRuntime({ env: {}, router: 'kong-atc' }), silentLogger, 3_600_000);
    const decide = handler.decide.bind(handler);
    handler.decide = (request) => {
      const answer = decide(request);
      return holdMs === 0 ? answer : new Promise((resolve) => setTimeout(() => { resolve(answer); }, holdMs));
    };
    const server = await startSidecarServer({ socketPath: join(dir, `${name}.sock`), handler, ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }) });
    started.push(server);
    return server;
  };
  afterAll(async () => {
    for (const server of started) await server.close(0);
  });

  /** A connection with the policy registered, and a DECIDE frame numbered i for it. */
  const connect = async (server: SidecarServer): Promise<{ client: SidecarClient; decide: (i: number) => void }> => {
    const client = await SidecarClient.connect(server.socketPath);
    client.send(FrameType.Register, { policy: JSON.stringify(policy), gateway: 'kong' });
    const token = (JSON.parse(Buffer.from((await client.next())?.payload ?? []).toString('utf8')) as { token: number }).token;
    return { client, decide: (i) => { client.send(FrameType.Decide, { i, t: token, m: 'GET', p: '/r', q: '', h: { host: 'api' }, ip: '192.0.2.1' }); } };
  };
  /** The connection's remaining frames as [type, i], until it closes. */
  const rest = async (client: SidecarClient): Promise<[number, unknown][]> => {
    const frames: [number, unknown][] = [];
    for (let frame = await client.next(); frame !== undefined; frame = await client.next()) {
      frames.push([frame.type, (JSON.parse(Buffer.from(frame.payload).toString('utf8')) as { i?: unknown }).i]);
    }
    return frames;
  };
  /** Sends DECIDE 1 with decisions answered `ms` after they are made, and waits until the sidecar took it. */
  const decidedSlowly = async (server: SidecarServer, ms: number, then: (client: SidecarClient, decide: (i: number) => void) => Promise<void>): Promise<void> => {
    const { client, decide } = await connect(server);
    holdMs = ms;
    try {
      decide(1);
      await expect.poll(() => server.stats.decide, { timeout: 2000, interval: 5 }).toBe(1);
      await then(client, decide);
    } finally {
      holdMs = 0;
    }
  };

  it('at shutdown: nothing more read, the answers to what it read, then GOAWAY, then the end', async () => {
    const server = await start('shutdown');
    await decidedSlowly(server, 300, async (client, decide) => {
      const closed = server.close(5000);
      // Sent once the drain began (decision 1 is held 300 ms): never taken, or a busy connection
      // would never drain.
      await new Promise((resolve) => setTimeout(resolve, 50));
      decide(2);
      expect(await rest(client)).toEqual([[FrameType.Continue, 1], [FrameType.GoAway, undefined]]);
      await closed;
    });
  });

  it('idle past its timeout: GOAWAY, then the end', async () => {
    const server = await start('idle', 100);
    const { client } = await connect(server);
    expect(await rest(client)).toEqual([[FrameType.GoAway, undefined]]);
  });

  it('a peer that keeps its side open after GOAWAY is cut one idle timeout later', async () => {
    const server = await start('half-open', 100);
    const socket = createConnection({ path: server.socketPath, allowHalfOpen: true });
    const seen: string[] = [];
    socket.on('data', (chunk: Buffer) => seen.push(`frame ${String(chunk[0])}`));
    socket.on('end', () => seen.push('end'));
    socket.on('error', (error: NodeJS.ErrnoException) => seen.push(error.code ?? error.message));
    await new Promise<void>((resolve) => socket.once('end', () => { resolve(); }));
    // Two idle timeouts on: a write then finds the sidecar's side gone.
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write('?');
    await new Promise<void>((resolve) => socket.once('close', () => { resolve(); }));
    expect(seen).toEqual([`frame ${String(FrameType.GoAway)}`, 'end', 'EPIPE']);
  }, 5000);

  it('after a refused frame: ERROR, the answers to what it read before, GOAWAY, the end', async () => {
    const server = await start('refused');
    await decidedSlowly(server, 200, async (client) => {
      // Type 0x7f is no request type.
      client.sendRaw(Buffer.from([0x7f, 0, 0, 2, 0x7b, 0x7d]));
      expect(await rest(client)).toEqual([[FrameType.Error, undefined], [FrameType.Continue, 1], [FrameType.GoAway, undefined]]);
    });
  });

  it('a shutdown whose grace runs out: the connection ends without GOAWAY (its request may have been decided)', async () => {
    const server = await start('out-of-time');
    await decidedSlowly(server, 1000, async (client) => {
      await server.close(100);
      expect(await rest(client)).toEqual([]);
    });
  });
});

describe.skipIf(luaSkip !== undefined).each(['kong', 'apisix'] as const)('%s Lua adapter, when the connection ends unanswered', (gateway) => {
  let upstream: RecordingUpstream;
  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream.close();
  });

  /** One request through the adapter, whose first DECIDE the scripted sidecar answers `first`. */
  const requestWhenFirst = async (first: 'goaway' | 'drop') => {
    const socket = join(dir, `${gateway}-${first}.sock`);
    let decides = 0;
    const sidecar = await startScriptedSidecar(socket, {}, () => (++decides === 1 ? first : { type: FrameType.Continue, body: { rh: { 'X-Decided': String(decides) } } }));
    const nginx = await startNginx({ dir: join(dir, `${gateway}-${first}`), gateway, conf: { policy: scriptedPolicy(`goaway-${first}`), socket, timeout: 3000 }, upstreamPort: upstream.port });
    try {
      const reply = await send(nginx.port, 'GET', '/r');
      return { reply, decides: sidecar.decides.length, errorLog: nginx.errorLog() };
    } finally {
      await nginx.stop();
      await sidecar.close();
    }
  };

  it('ended with GOAWAY: the request, never read, is sent again on a new connection and decided there', async () => {
    const { reply, decides } = await requestWhenFirst('goaway');
    expect(reply.status).toBe(200);
    expect(reply.headers['x-decided']).toBe('2');
    expect(reply.headers['tollgate-degraded']).toBeUndefined();
    expect(decides).toBe(2);
  });

  it('ended without GOAWAY: the request, perhaps decided, is not sent again; the policy fails open', async () => {
    const { reply, decides, errorLog } = await requestWhenFirst('drop');
    expect(reply.status).toBe(200);
    expect(reply.headers['tollgate-degraded']).toBe('sidecar-unavailable');
    expect(reply.headers['x-decided']).toBeUndefined();
    expect(decides).toBe(1);
    expect(errorLog).toMatch(/sidecar unavailable/);
  });
});

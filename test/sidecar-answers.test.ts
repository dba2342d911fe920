// The real sidecar process answers each request as soon as its answer is ready, carrying the
// request's number: frames pipelined in one write, where a Redis decision waits on a paused Redis,
// get the answers the sidecar has at once (a memory-store decision, an unknown token) first, each
// naming its own request; the Redis one follows when Redis runs again. One slow decision holds up
// no other on a worker's shared connection.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../packages/apisix-runner/src/index.js';
import { FrameType } from '../packages/sidecar/src/index.js';
import { RedisServer, redisSkipReason } from './support/redis.js';
import { removeSidecarBundle, SidecarClient, startSidecar, type SidecarProcess } from './support/sidecar.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

function policy(store: object): string {
  return JSON.stringify({
    version: 1,
    policy: 'order',
    routes: [{ name: 'r', paths: ['/r'] }],
    identity: { auth: 'none', limitBy: 'header', header: 'X-Key' },
    plans: [{ name: 'free', plan: { rateLimit: { minute: 1 } } }],
    defaultPlan: 'free',
    consumerPlans: {},
    costs: {},
    store,
  });
}

describe.skipIf(skip !== undefined)('sidecar answers', () => {
  let dir: string;
  let redis: RedisServer;
  let sidecar: SidecarProcess;
  let socketPath: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sidecar-answers-'));
    chmodSync(dir, 0o755);
    socketPath = join(dir, 'sidecar.sock');
    redis = await RedisServer.start();
    sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
  });
  afterAll(async () => {
    redis.unpause();
    expect(await sidecar.stop()).toBe(0);
    await redis.close();
    rmSync(dir, { recursive: true, force: true });
    removeSidecarBundle();
  });

  it('answers pipelined frames as they are ready, each carrying its request number', async () => {
    const client = await SidecarClient.connect(socketPath);
    const register = async (store: object): Promise<number> => Number((await client.call(FrameType.Register, { policy: policy(store), gateway: 'kong' }))?.body.token);
    const onRedis = await register({ kind: 'redis', url: redis.url, keyPrefix: 'answers', timeoutMs: 5000 });
    const inMemory = await register({ kind: 'memory' });
    const decide = (token: number, key: string, i: number): Buffer => encodeFrame(FrameType.Decide, Buffer.from(JSON.stringify({ i, t: token, m: 'GET', p: '/r', q: '', h: { host: 'api', 'x-key': key } })));
    const next = async (): Promise<{ type: number | undefined; i: unknown }> => {
      const frame = await client.next();
      return { type: frame?.type, i: frame === undefined ? undefined : (JSON.parse(Buffer.from(frame.payload).toString('utf8')) as { i?: unknown }).i };
    };
    // Warm the Redis connection and script, so the next one waits on nothing but the pause.
    client.sendRaw(decide(onRedis, 'warm-up', 1));
    expect(await next()).toEqual({ type: FrameType.Continue, i: 1 });

    redis.pause();
    const unknown = onRedis + inMemory + 100;
    client.sendRaw(Buffer.concat([decide(onRedis, 'a', 2), decide(inMemory, 'a', 3), decide(unknown, 'a', 4), decide(inMemory, 'a', 5)]));
    const first = [await next(), await next(), await next()];
    redis.unpause();
    const last = await next();
    client.close();
    // Each store allows caller `a` once a minute: allowed, then refused.
    expect(first).toEqual([
      { type: FrameType.Continue, i: 3 },
      { type: FrameType.UnknownToken, i: 4 },
      { type: FrameType.Exit, i: 5 },
    ]);
    expect(last).toEqual({ type: FrameType.Continue, i: 2 });
  });

  it('answers a frame without a number without one', async () => {
    const client = await SidecarClient.connect(socketPath);
    const answer = await client.call(FrameType.Register, { policy: policy({ kind: 'memory' }), gateway: 'kong' });
    client.close();
    expect(answer?.type).toBe(FrameType.Registered);
    expect(answer?.body).not.toHaveProperty('i');
  });
});

// Answers leave the real sidecar process in request order on each connection, whichever are ready
// first: frames pipelined in one write, where a Redis decision (answered after its round trip)
// comes before answers the sidecar has at once (a memory-store decision, an unknown token).
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

describe.skipIf(skip !== undefined)('sidecar answer order', () => {
  let dir: string;
  let redis: RedisServer;
  let sidecar: SidecarProcess;
  let socketPath: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sidecar-order-'));
    chmodSync(dir, 0o755);
    socketPath = join(dir, 'sidecar.sock');
    redis = await RedisServer.start();
    sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
  });
  afterAll(async () => {
    expect(await sidecar.stop()).toBe(0);
    await redis.close();
    rmSync(dir, { recursive: true, force: true });
    removeSidecarBundle();
  });

  it('writes the answers of pipelined frames in the order received, the slow ones included', async () => {
    const client = await SidecarClient.connect(socketPath);
    const register = async (store: object): Promise<number> => Number((await client.call(FrameType.Register, { policy: policy(store), gateway: 'kong' }))?.body.token);
    const onRedis = await register({ kind: 'redis', url: redis.url, keyPrefix: 'order', timeoutMs: 5000 });
    const inMemory = await register({ kind: 'memory' });
    const decide = (token: number, key: string): Buffer => encodeFrame(FrameType.Decide, Buffer.from(JSON.stringify({ t: token, m: 'GET', p: '/r', q: '', h: { host: 'api', 'x-key': key } })));
    // Warm the Redis connection and script, so the next ones are plain round trips.
    client.sendRaw(decide(onRedis, 'warm-up'));
    expect((await client.next())?.type).toBe(FrameType.Continue);

    const unknown = onRedis + inMemory + 100;
    client.sendRaw(Buffer.concat([decide(onRedis, 'a'), decide(inMemory, 'a'), decide(unknown, 'a'), decide(onRedis, 'a'), decide(inMemory, 'a'), decide(unknown, 'a')]));
    const types: (number | undefined)[] = [];
    for (let i = 0; i < 6; i++) types.push((await client.next())?.type);
    client.close();
    // Each store allows caller `a` once a minute: allowed, then refused.
    expect(types).toEqual([FrameType.Continue, FrameType.Continue, FrameType.UnknownToken, FrameType.Exit, FrameType.Exit, FrameType.UnknownToken]);
  });
});

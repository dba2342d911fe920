// What Kong 3.9 (OSS) does while its plugin server is dead, phase by phase, as
// kong/runloop/plugin_servers/{plugin,rpc/mp_rpc}.lua decide it:
// - a worker whose instance for the plugin entry is cached sends HandleEvent, fails to connect,
//   logs the error and goes on: the request is proxied without a decision;
// - a worker that must StartInstance first (first request of a worker, a new worker after a reload,
//   a config change, after the reset_instances event) raises in get_instance_id: Kong answers 500,
//   in access as in the response phase (Kong.response() runs inside the access handler);
// - a request that finds another one of its worker starting the instance waits at most 10 s, then
//   goes on undecided ("Could not claim instance_id" is returned, not raised);
// - once the respawned server listens, "no plugin instance" resets every worker's instances and
//   decisions resume.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../packages/engine/src/index.js';
import { CLAIM_WAIT_MS } from './support/kong-harness/kong-worker.js';
import { TOLLGATE_X402 } from '../packages/kong-plugin/src/plugin-info.js';
import { authenticated, startTollgateKong, type TollgateKong } from './support/kong-plugin.js';

const CONFIG: EngineConfig = {
  version: 1,
  policy: 'dead-server',
  routes: [{ name: 'forecast', paths: ['/v1/forecast'] }],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [{ name: 'free', plan: { rateLimit: { minute: 1000 } } }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
};
const request = authenticated({ method: 'GET', path: '/v1/forecast' }, 'alice');
const UNEXPECTED = { message: 'An unexpected error occurred' };

describe('a dead plugin server (tollgate, access phase)', () => {
  let t: TollgateKong;
  beforeEach(async () => {
    t = await startTollgateKong({ workers: 2 });
  });
  afterEach(async () => {
    await t.close();
  });

  it('proxies where the instance is cached, answers 500 where StartInstance is needed, then recovers', async () => {
    const row = t.row(CONFIG);
    expect((await t.kong.request(request, row, { worker: 0 })).headers.ratelimit).toBeDefined();
    await t.kong.server.crash();

    const cached = await t.kong.request(request, row, { worker: 0 });
    expect(cached).toMatchObject({ status: 200, source: 'upstream', access: { rpcs: ['plugin.HandleEvent'], result: { kind: 'rpc-error' } } });
    expect(cached.headers.ratelimit).toBeUndefined();

    const firstOnWorker = await t.kong.request(request, row, { worker: 1 });
    expect(firstOnWorker).toMatchObject({ status: 500, source: 'error', access: { rpcs: ['plugin.StartInstance'], result: { kind: 'start-failed' } } });
    expect(JSON.parse(firstOnWorker.body)).toEqual(UNEXPECTED);

    const configChanged = await t.kong.request(request, t.row(CONFIG), { worker: 0 });
    expect(configChanged).toMatchObject({ status: 500, source: 'error', access: { result: { kind: 'start-failed' } } });

    await t.kong.server.ready();
    const recovered = await t.kong.request(request, row, { worker: 1 });
    expect(recovered.access.result.kind).toBe('ret');
    expect(recovered.headers.ratelimit).toBeDefined();
  });
});

describe('a dead plugin server (tollgate-x402, response phase)', () => {
  let t: TollgateKong;
  beforeEach(async () => {
    t = await startTollgateKong({ workers: 1, plugin: TOLLGATE_X402 });
  });
  afterEach(async () => {
    await t.close();
  });

  it('answers 500 when the response phase must StartInstance on a dead server', async () => {
    const row = t.row(CONFIG);
    expect((await t.kong.request(request, row)).status).toBe(200);
    // Between access and response the server dies and another worker's reset_instances arrives.
    const response = await t.kong.request(request, row, {
      upstream: async () => {
        await t.kong.server.crash();
        t.kong.resetInstances();
        return { status: 200, body: 'upstream' };
      },
    });
    expect(response.access.result.kind).toBe('ret');
    expect(response).toMatchObject({ status: 500, source: 'error', response: { rpcs: ['plugin.StartInstance'], result: { kind: 'start-failed' } } });
  });
});

describe('a plugin server that hangs (SIGSTOP) during StartInstance', () => {
  let t: TollgateKong;
  beforeEach(async () => {
    t = await startTollgateKong({ workers: 1 });
  });
  afterEach(async () => {
    t.kong.server.kill('SIGCONT');
    await t.close();
  });

  it('lets a second request of the worker wait 10 s for the claim, then proxies it undecided', async () => {
    const row = t.row(CONFIG);
    t.kong.server.kill('SIGSTOP');
    const starting = t.kong.request(request, row, { worker: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const began = Date.now();
    const waiting = await t.kong.request(request, row, { worker: 0 });
    expect(Date.now() - began).toBeGreaterThanOrEqual(CLAIM_WAIT_MS - 300);
    expect(waiting).toMatchObject({ status: 200, source: 'upstream', access: { rpcs: [], result: { kind: 'rpc-error', message: 'Could not claim instance_id for tollgate (key: a0c7e1a2-0000-4000-8000-000000000001)' } } });
    expect(waiting.headers.ratelimit).toBeUndefined();
    t.kong.server.kill('SIGCONT');
    expect((await starting).access.result.kind).toBe('ret');
  }, 30_000);
});

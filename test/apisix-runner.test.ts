// The bundled runner process driven by the APISIX-side harness over its real unix socket:
// lifecycle (environment, socket mode, SIGTERM), conf tokens across restarts, and Tollgate
// decisions with the memory store.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApisixSide, type ApisixOutcome, type ApisixSideOptions } from './support/apisix-side/index.js';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compiledApisixRoute, tollgateRoute, weatherConfig } from './support/apisix-configs.js';
import { removeRunnerBundle, startRunner, UNKNOWN_TOKEN_PROBE, type RunnerProcess } from './support/apisix-runner.js';
import { waitUntilAnswering } from './support/node-process.js';

let dir: string;
let socketPath: string;
const runners: RunnerProcess[] = [];
const sides: ApisixSide[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'apisix-runner-'));
  socketPath = join(dir, 'apisix-1.sock');
});
afterEach(async () => {
  for (const side of sides.splice(0)) side.close();
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => {
  removeRunnerBundle();
});

async function runner(env?: Record<string, string>): Promise<RunnerProcess> {
  const started = await startRunner({ socketPath, ...(env && { env }) });
  runners.push(started);
  return started;
}
function apisix(options: Partial<ApisixSideOptions> = {}): ApisixSide {
  const side = new ApisixSide({ socketPath, readTimeoutMs: 5000, ...options });
  sides.push(side);
  return side;
}
const header = (outcome: ApisixOutcome, name: string): string[] | undefined =>
  outcome.kind === 'stopped' ? outcome.headers.get(name) : outcome.kind === 'proxied' ? outcome.responseHeaders.get(name) : undefined;

describe('runner process lifecycle', () => {
  it('listens where APISIX_LISTEN_ADDRESS says, with a socket mode nginx workers can use', async () => {
    const started = await runner();
    // The socket is created with its final mode (umask narrowed around bind()); the runner announces itself after.
    await vi.waitFor(() => {
      expect(started.output()).toMatch(/listening on unix:.*apisix-1\.sock \(conf tokens kept 4320 s\)/);
    });
    expect(statSync(socketPath).mode & 0o777).toBe(0o766);
  });

  it('honours APISIX_CONF_EXPIRE_TIME', async () => {
    const started = await runner({ APISIX_CONF_EXPIRE_TIME: '10' });
    await vi.waitFor(() => {
      expect(started.output()).toContain('conf tokens kept 12 s');
    });
  });

  it('exits with a clear message when APISIX_LISTEN_ADDRESS is not a unix address', async () => {
    const started = await startRunner({ socketPath, env: { APISIX_LISTEN_ADDRESS: 'tcp://127.0.0.1:1' }, waitForSocket: false });
    expect(await started.exited).toBe(1);
    expect(started.output()).toContain('APISIX_LISTEN_ADDRESS must look like unix:/path/to.sock');
    expect(started.output()).not.toMatch(/\n\s+at /);
  });

  it('exits 0 on SIGTERM well within APISIX 1 s kill deadline and removes its socket', async () => {
    const started = await runner();
    expect(await apisix().request(tollgateRoute('1', weatherConfig()), { method: 'GET', uri: '/v1/forecast' })).toMatchObject({ kind: 'stopped' });
    const began = Date.now();
    expect(await started.stop(5000)).toBe(0);
    expect(Date.now() - began).toBeLessThan(1000);
    expect(() => statSync(socketPath)).toThrow();
  });

  it('answers every request APISIX sends while it drains after SIGTERM, on pooled and new connections', async () => {
    const started = await runner();
    const side = apisix();
    const byIp = weatherConfig({ identity: { auth: 'none', limitBy: 'ip' }, plans: [{ name: 'free', plan: { rateLimit: { second: 1_000_000 } } }], consumerPlans: {} });
    const send = () => side.request(tollgateRoute('1', byIp), { method: 'GET', uri: '/v1/forecast' });
    const wave = () => Promise.all(Array.from({ length: 8 }, send));
    await wave();
    expect(side.idleConnections).toBeGreaterThanOrEqual(8);
    started.child.kill('SIGTERM');
    const outcomes: ApisixOutcome[] = [];
    // Well inside the drain (APISIX kills the runner 1 s after SIGTERM).
    for (const until = Date.now() + 400; Date.now() < until; ) outcomes.push(...(await wave()));
    expect(outcomes.filter((o) => o.kind !== 'proxied')).toEqual([]);
    expect(await started.exited).toBe(0);
  });

  it('answers a call still waiting for its ExtraInfo answer when the 800 ms grace ends, then exits 0 within 1 s', async () => {
    const started = await runner();
    let signalledAt = 0;
    // SIGTERM reaches the runner while it waits for APISIX to answer its consumer_name question;
    // the answer comes after the grace (a busy nginx worker), well before APISIX's SIGKILL.
    const side = apisix({
      beforeExtraInfoReply: async () => {
        if (signalledAt !== 0) return;
        signalledAt = Date.now();
        started.child.kill('SIGTERM');
        await new Promise((resolve) => setTimeout(resolve, 870));
      },
    });
    const outcome = await side.request(tollgateRoute('1', weatherConfig()), { method: 'GET', uri: '/v1/forecast', vars: { consumer_name: 'alice' } });
    expect(outcome).toMatchObject({ kind: 'proxied', extraInfo: expect.arrayContaining([{ kind: 'var', name: 'consumer_name' }]) });
    expect(await started.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(1000);
  });

  it('answers the calls of new workers while it drains with no connection open, then leaves the path to its successor', async () => {
    const old = await runner();
    const byIp = weatherConfig({ identity: { auth: 'none', limitBy: 'ip' }, plans: [{ name: 'free', plan: { rateLimit: { second: 1_000_000 } } }], consumerPlans: {} });
    // A new worker of a reload: an empty keepalive pool and token cache, so a fresh connection per call.
    const newWorkerCall = async () => {
      const side = new ApisixSide({ socketPath, readTimeoutMs: 5000 });
      try {
        return await side.request(tollgateRoute('1', byIp), { method: 'GET', uri: '/v1/forecast' });
      } finally {
        side.close();
      }
    };
    expect(await newWorkerCall()).toMatchObject({ kind: 'proxied' });
    // APISIX's reload: the exiting privileged agent sends SIGTERM while the new one starts a runner
    // on the same path, which may take a while on a busy host. Nothing holds a connection to the
    // old runner; new workers connect to whatever listens at the path.
    const oldExit = old.stop(5000);
    const signalled = Date.now();
    const duringDrain: ApisixOutcome[] = [];
    while (Date.now() - signalled < 500) {
      duringDrain.push(await newWorkerCall());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const successor = await startRunner({ socketPath, waitForSocket: false });
    runners.push(successor);
    expect(await oldExit).toBe(0);
    expect(duringDrain.length).toBeGreaterThan(0);
    expect(duringDrain.filter((o) => o.kind !== 'proxied')).toEqual([]);
    // The old runner left the socket file alone if the successor bound it while it drained.
    await waitUntilAnswering('successor', successor, socketPath, UNKNOWN_TOKEN_PROBE);
    expect(await newWorkerCall()).toMatchObject({ kind: 'proxied' });
  });

  it('recovers tokens after a restart through CONF_TOKEN_NOT_FOUND (dev mode: APISIX does not notice)', async () => {
    const first = await runner();
    const side = apisix();
    const route = tollgateRoute('1', weatherConfig());
    const request = { method: 'GET', uri: '/v1/forecast', vars: { consumer_name: 'alice' } };
    expect(await side.request(route, request)).toMatchObject({ kind: 'proxied', attempts: 1 });
    await first.stop();
    runners.length = 0;
    await runner();
    expect(await side.request(route, request)).toMatchObject({ kind: 'proxied', attempts: 2 });
  });

  it('names both sizes and the setting when a frame exceeds TOLLGATE_MAX_FRAME_BYTES', async () => {
    const started = await runner({ TOLLGATE_MAX_FRAME_BYTES: '1024' });
    const socket = createConnection(socketPath);
    socket.on('error', () => undefined);
    socket.write(Buffer.from([2, 0xff, 0xff, 0xff]));
    await vi.waitFor(() => {
      expect(started.output()).toContain('frame payload of 16777215 bytes exceeds the configured limit of 1024 bytes (TOLLGATE_MAX_FRAME_BYTES)');
    });
    socket.destroy();
  });

  it('answers 503 (or passes through with allow_degradation) when no runner listens', async () => {
    const side = apisix();
    const route = tollgateRoute('1', weatherConfig());
    expect(await side.request(route, { method: 'GET', uri: '/' })).toMatchObject({ kind: 'failed', status: 503, error: expect.stringContaining('failed to connect to the unix socket') });
    expect(await side.request({ ...route, allowDegradation: true }, { method: 'GET', uri: '/' })).toMatchObject({ kind: 'proxied', degraded: expect.stringContaining('failed to connect') });
  });
});

describe('Tollgate decisions through the runner (memory store)', () => {
  it('rejects an invalid EngineConfig at PrepareConf with BAD_REQUEST and a log line naming every problem', async () => {
    const started = await runner();
    const outcome = await apisix().request({ id: '9', conf: [{ name: 'tollgate', value: JSON.stringify({ ...weatherConfig(), defaultPlan: 'gold', costs: { routes: { nope: 1 } } }) }] }, { method: 'GET', uri: '/' });
    expect(outcome).toMatchObject({ kind: 'failed', attempts: 1, error: 'failed to receive RPC_PREPARE_CONF: bad request' });
    await vi.waitFor(() => {
      expect(started.output()).toContain('unknown plan "gold"');
      expect(started.output()).toContain('unknown route "nope"');
    });
  });

  it('refuses a conf entry for another plugin name instead of skipping enforcement', async () => {
    const started = await runner();
    const outcome = await apisix().request({ id: '9', conf: [{ name: 'tolgate', value: '{}' }] }, { method: 'GET', uri: '/' });
    expect(outcome).toMatchObject({ kind: 'failed', error: 'failed to receive RPC_PREPARE_CONF: bad request' });
    // The log line and the answer travel on different pipes: either may arrive first.
    await vi.waitFor(() => {
      expect(started.output()).toContain('unknown runner plugin "tolgate"');
    });
  });

  it('answers 401 problem+json when the policy needs a consumer and APISIX has none', async () => {
    await runner();
    const outcome = await apisix().request(tollgateRoute('1', weatherConfig()), { method: 'GET', uri: '/v1/forecast' });
    expect(outcome).toMatchObject({ kind: 'stopped', status: 401 });
    expect(header(outcome, 'content-type')?.[0]).toContain('application/problem+json');
    // $upstream_uri in the same round trip: the policy rewrites the query.
    expect(outcome.extraInfo).toEqual([{ kind: 'var', name: 'consumer_name' }, { kind: 'var', name: 'upstream_uri' }]);
  });

  it('allows with rewrites and RateLimit headers, then 429 with Retry-After once the window is used', async () => {
    await runner();
    const side = apisix();
    const route = tollgateRoute('1', weatherConfig());
    const request = { method: 'GET', uri: '/v1/forecast?userId=7&city=Paris', headers: [['Cookie', 'a=b'], ['Host', 'api.example']] as [string, string][], vars: { consumer_name: 'bob' } };
    for (let i = 0; i < 3; i++) {
      const outcome = await side.request(route, request);
      expect(outcome.kind).toBe('proxied');
      if (outcome.kind !== 'proxied') return;
      expect(outcome.upstream.headers.get('x-plan')).toEqual(['free']);
      expect(outcome.upstream.headers.has('cookie')).toBe(false);
      expect(Object.fromEntries(outcome.upstream.args)).toEqual({ user_id: ['7'], city: ['Paris'] });
      expect(header(outcome, 'ratelimit')).toBeDefined();
    }
    const limited = await side.request(route, request);
    expect(limited).toMatchObject({ kind: 'stopped', status: 429 });
    expect(Number(header(limited, 'retry-after')?.[0])).toBeGreaterThan(0);
  });

  it('answers 402 plan-upgrade-required for a route outside the plan', async () => {
    await runner();
    const outcome = await apisix().request(tollgateRoute('1', weatherConfig()), { method: 'GET', uri: '/v1/history', vars: { consumer_name: 'bob' } });
    expect(outcome).toMatchObject({ kind: 'stopped', status: 402 });
    if (outcome.kind === 'stopped') expect(JSON.parse(Buffer.from(outcome.body ?? []).toString())).toMatchObject({ status: 402 });
  });

  it('asks APISIX for no variable when the policy identifies callers by IP', async () => {
    await runner();
    const config = weatherConfig({ identity: { auth: 'none', limitBy: 'ip' }, rewrite: { request: { headers: { set: { 'X-Plan': '{{plan}}' } } } } });
    const outcome = await apisix().request(tollgateRoute('1', config), { method: 'GET', uri: '/v1/forecast', srcIp: '2001:db8::7' });
    expect(outcome).toMatchObject({ kind: 'proxied', extraInfo: [] });
  });

  it('shares one rate window across connections and concurrent requests (no over-admission)', async () => {
    await runner();
    const side = apisix();
    const route = tollgateRoute('1', weatherConfig());
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => side.request(route, { method: 'GET', uri: '/v1/forecast', vars: { consumer_name: 'carol' } })));
    expect(outcomes.filter((o) => o.kind === 'proxied')).toHaveLength(3);
    expect(outcomes.filter((o) => o.kind === 'stopped' && o.status === 429)).toHaveLength(17);
  });
});

describe('query rewrites of the compiled legacy-orders example (proxy-rewrite on the route)', () => {
  const compiled = () => compiledApisixRoute('policies/legacy-api', 'orders');
  const upstreamOf = (outcome: ApisixOutcome) => {
    if (outcome.kind !== 'proxied') throw new Error(`expected the request proxied, got ${JSON.stringify(outcome)}`);
    return outcome.upstream;
  };

  it('reach the upstream behind regex_uri, behind uri and without proxy-rewrite', async () => {
    await runner();
    const side = apisix();
    const route = compiled();
    expect(route.proxyRewrite).toEqual({ regexUri: ['^(/.*)', '/api$1'] });
    const request = { method: 'GET', uri: '/orders/42?customerId=7&debug=1' };
    const variants = [
      { route, path: '/api/orders/42' },
      { route: { ...route, id: 'static', proxyRewrite: { uri: '/api/orders/42' } }, path: '/api/orders/42' },
      { route: { ...route, id: 'plain', proxyRewrite: undefined }, path: '/orders/42' },
    ];
    for (const variant of variants) {
      const upstream = upstreamOf(await side.request(variant.route, request));
      expect(upstream.path).toBe(variant.path);
      expect(Object.fromEntries(upstream.args)).toEqual({ cust_id: ['7'], format: ['json'] });
    }
  });

  it('keep the path exactly as proxy-rewrite encoded it (no double encoding)', async () => {
    await runner();
    const side = apisix();
    const request = { method: 'GET', uri: '/orders/a%20b%25c%3F?customerId=7' };
    const behindRewrite = upstreamOf(await side.request(compiled(), request));
    expect(behindRewrite.uri.split('?')[0]).toBe('/api/orders/a%20b%25c%3F');
    expect(Object.fromEntries(behindRewrite.args)).toEqual({ cust_id: ['7'], format: ['json'] });
    const plain = upstreamOf(await side.request({ ...compiled(), id: 'plain', proxyRewrite: undefined }, request));
    expect(plain.uri.split('?')[0]).toBe('/orders/a%20b%25c%3F');
    expect(Object.fromEntries(plain.args)).toEqual({ cust_id: ['7'], format: ['json'] });
  });
});

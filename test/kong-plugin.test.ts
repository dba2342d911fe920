// The built `tollgate` plugin behind the Kong-side harness and the real kong-js-pluginserver:
// discovery (of both plugins), decisions in and out, PDK round trips, config changes and bad config.
// The x402 scenarios run against `tollgate-x402` in kong-x402.test.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../packages/engine/src/index.js';
import { bundlePlugin } from '../packages/kong-plugin/scripts/bundle.mjs';
import { queryPluginInfo } from '../packages/kong-plugin/src/harness/index.js';
import { TOLLGATE, TOLLGATE_X402 } from '../packages/kong-plugin/src/plugin-info.js';
import { X402_NEEDS_RESPONSE_PHASE } from '../packages/kong-plugin/src/tollgate-plugin.js';
import { weatherConfig } from './support/apisix-configs.js';
import { authenticated, startTollgateKong, type TollgateKong } from './support/kong-plugin.js';
import { x402Policy } from './support/x402-policy.js';

// The APISIX suites' weather policy; carol is on pro.
const POLICY: EngineConfig = weatherConfig({ consumerPlans: { carol: 'pro' } });

let t: TollgateKong;
beforeAll(async () => {
  t = await startTollgateKong({ workers: 2 });
});
afterAll(async () => {
  await t.close();
});

describe('discovery', () => {
  let buildDir: string;
  beforeAll(() => {
    buildDir = mkdtempSync(join(tmpdir(), 'tollgate-kong-dump-'));
  });
  afterAll(() => {
    rmSync(buildDir, { recursive: true, force: true });
  });

  it('dumps clean JSON with name, x.y.z version, priority after key-auth and the config schema', () => {
    const { version } = JSON.parse(readFileSync(new URL('../packages/kong-plugin/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(t.kong.info).toMatchObject({ Name: 'tollgate', Version: version, Priority: 905 });
    expect(t.kong.info.Priority).toBeLessThan(1250);
    expect(t.kong.info.Schema).toMatchObject({
      name: 'tollgate',
      fields: [{ config: { type: 'record', fields: [{ policy: { type: 'string', required: true } }, { route: { type: 'string', required: false } }] } }],
    });
  });

  // Kong turns on buffered proxying for every route where a plugin with a response handler is
  // configured: only tollgate-x402 may have one, so streamed answers stay streamed elsewhere.
  it.each([
    [TOLLGATE, ['log', 'access']],
    [TOLLGATE_X402, ['log', 'access', 'response']],
  ] as const)('--dump-all-plugins of the %s bundle shows phases %j, from its own directory', async (name, phases) => {
    const dir = await bundlePlugin(buildDir, name);
    expect(readdirSync(dir)).toEqual([`${name}.js`]);
    const info = await queryPluginInfo(dir);
    expect(info).toMatchObject({ Name: name, Priority: 905, Phases: phases });
    expect(info.Schema).toEqual({ ...t.kong.info.Schema, name });
  });
});

describe('access phase', () => {
  const row = () => t.row(POLICY);
  let plugin: ReturnType<typeof row>;
  beforeAll(() => {
    plugin = row();
  });

  it('allows, sets RateLimit headers and rewrites the upstream request in 4 PDK round trips', async () => {
    const response = await t.kong.request(
      authenticated({ method: 'GET', path: '/v1/forecast', query: 'userId=7&x=1', headers: { Cookie: 'secret', Host: 'api.example.com' } }, 'alice'),
      plugin,
      { worker: 0 },
    );
    expect(response.status).toBe(200);
    expect(response.headers.ratelimit).toBeDefined();
    expect(response.upstream?.headers['x-plan']).toEqual(['free']);
    expect(response.upstream?.headers.cookie).toBeUndefined();
    expect(response.upstream?.query).toBe('x=1&user_id=7');
    expect(response.access.pdkCalls).toEqual([
      'kong.request.get_headers',
      'kong.nginx.get_var',
      'kong.client.get_consumer',
      'kong.response.set_headers',
      'kong.service.request.set_headers',
      'kong.service.request.set_raw_query',
    ]);
    const log = await response.log;
    expect(log?.pdkCalls).toEqual([]);
  });

  it('denies with problem+json through one exit frame after 3 round trips', async () => {
    const response = await t.kong.request(authenticated({ method: 'GET', path: '/v1/history' }, 'alice'), plugin, { worker: 0 });
    expect(response.status).toBe(402);
    expect(response.headers['content-type']?.[0]).toMatch(/application\/problem\+json/);
    expect(JSON.parse(response.body)).toMatchObject({ status: 402 });
    expect(response.access.pdkCalls).toEqual(['kong.request.get_headers', 'kong.nginx.get_var', 'kong.client.get_consumer', 'kong.response.exit']);
    expect(response.access.rpcs.filter((m) => m !== 'plugin.StartInstance')).toHaveLength(4);
  });

  it('matches routes on the normalized path, so encoding cannot dodge entitlements', async () => {
    const response = await t.kong.request(authenticated({ method: 'GET', path: '/v1/%68istory' }, 'alice'), plugin);
    expect(response.status).toBe(402);
  });

  it('answers 401 without an authenticated consumer', async () => {
    const response = await t.kong.request({ method: 'GET', path: '/v1/forecast' }, plugin);
    expect(response.status).toBe(401);
  });

  it('answers 429 with Retry-After once the window is used up, across workers', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.kong.request(authenticated({ method: 'GET', path: '/v1/forecast' }, 'bob'), plugin, { worker: i })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = await t.kong.request(authenticated({ method: 'GET', path: '/v1/forecast' }, 'bob'), plugin);
    expect(Number(limited.headers['retry-after']?.[0])).toBeGreaterThan(0);
  });
});

describe('log phase: chargeOn success', () => {
  it('gives the held quota back when the upstream answers 5xx, and keeps it otherwise, without buffering the response', async () => {
    const row = t.row({ ...POLICY, plans: [{ name: 'free', plan: { quota: { requests: 2, per: 'month' } } }], consumerPlans: {}, costs: { chargeOn: 'success' }, rewrite: undefined });
    const send = async (status: number) => {
      const response = await t.kong.request(authenticated({ method: 'GET', path: '/v1/forecast' }, 'frank'), row, { upstream: () => ({ status }) });
      return { response, log: await response.log };
    };
    const failed = await send(503);
    expect(failed.response.status).toBe(503);
    expect(failed.response.access.pdkCalls).toContain('kong.ctx.shared.set');
    // No response phase (the answer streamed through unbuffered): the log phase completes the hold from the final status.
    expect(failed.response.response).toBeUndefined();
    expect(failed.log?.pdkCalls).toEqual(['kong.ctx.shared.get', 'kong.response.get_status']);
    expect((await send(200)).response.status).toBe(200);
    expect((await send(404)).response.status).toBe(404);
    // Two requests kept (200, 404), the 503 given back: the quota of 2 is used up now.
    expect((await send(200)).response.status).toBe(402);
  });
});

describe('configuration', () => {
  it('a config change (new __seq__) starts a new instance that enforces the new policy', async () => {
    const first = t.row(POLICY);
    const request = authenticated({ method: 'GET', path: '/v1/history' }, 'dave');
    expect((await t.kong.request(request, first, { worker: 1 })).status).toBe(402);
    const opened = { ...POLICY, plans: [{ name: 'free', plan: {} }], consumerPlans: {} };
    const changed = { ...t.row(opened), id: first.id };
    const response = await t.kong.request(request, changed, { worker: 1 });
    expect(response.access.rpcs.slice(0, 2)).toEqual(['plugin.StartInstance', 'plugin.CloseInstance']);
    expect(response.status).toBe(200);
  });

  it('an invalid policy fails StartInstance with every problem listed, and Kong answers 500', async () => {
    const broken = t.kong.plugin({ policy: JSON.stringify({ ...POLICY, routes: [], store: { kind: 'disk' } }) });
    const response = await t.kong.request({ method: 'GET', path: '/v1/forecast' }, broken);
    expect(response).toMatchObject({ status: 500, source: 'error', body: '{"message":"An unexpected error occurred"}' });
    expect(response.access.result).toMatchObject({ kind: 'start-failed' });
    const message = (response.access.result as { message: string }).message;
    expect(message).toContain('tollgate: invalid plugin config');
    expect(message).toContain('/routes');
    expect(message).toContain('/store/kind');
    expect(message).toContain('2 problems');
    // The server survived and still serves a good config.
    expect((await t.kong.request(authenticated({ method: 'GET', path: '/v1/forecast' }, 'erin'), t.row(POLICY))).status).toBe(200);
  });

  it('refuses an x402 policy, which must settle before the response is sent (tollgate-x402)', async () => {
    const response = await t.kong.request({ method: 'GET', path: '/v1/forecast' }, t.row(x402Policy('http://127.0.0.1:9/facilitator')));
    expect(response.status).toBe(500);
    expect((response.access.result as { message: string }).message).toContain(X402_NEEDS_RESPONSE_PHASE);
  });

  it('a policy that is not JSON fails StartInstance clearly', async () => {
    const response = await t.kong.request({ method: 'GET', path: '/' }, t.kong.plugin({ policy: '{nope' }));
    expect(response.status).toBe(500);
    expect((response.access.result as { message: string }).message).toMatch(/tollgate: invalid plugin config .*not valid JSON/);
  });
});

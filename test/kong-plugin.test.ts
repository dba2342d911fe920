// The built `tollgate` plugin behind the Kong-side harness and the real kong-js-pluginserver:
// discovery (of every plugin), decisions in and out, PDK round trips (with and without a pinned
// route), config changes and bad config; `tollgate-charge-on-success` completing holds in its log
// phase; and the compiler choosing the plugin each policy needs. The x402 scenarios run against
// `tollgate-x402` in kong-x402.test.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../packages/engine/src/index.js';
import { loadProject } from '../packages/policy/src/index.js';
import { compile } from '../packages/compiler/src/index.js';
import type { KongDocument } from '../packages/compiler/src/targets/kong/model.js';
import { bundlePlugin, PLUGINS } from '../packages/kong-plugin/scripts/bundle.mjs';
import { queryPluginInfo } from './support/kong-harness/index.js';
import { PLUGIN_NAMES, pluginNameFor, TOLLGATE, TOLLGATE_CHARGE_ON_SUCCESS, TOLLGATE_X402 } from '../packages/kong-plugin/src/plugin-info.js';
import { CHARGE_ON_SUCCESS_NEEDS_LOG_PHASE, X402_NEEDS_RESPONSE_PHASE } from '../packages/kong-plugin/src/tollgate-plugin.js';
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

  it('builds one bundle per plugin name', () => {
    expect(PLUGINS).toEqual([...PLUGIN_NAMES].sort());
  });

  // Kong calls every phase a plugin has on every request it guards. A response handler turns on
  // buffered proxying: only tollgate-x402 may have one, so streamed answers stay streamed
  // elsewhere. A log handler costs every request a round trip after the response: only the
  // plugins that complete follow-ups have one.
  it.each([
    [TOLLGATE, ['access']],
    [TOLLGATE_CHARGE_ON_SUCCESS, ['log', 'access']],
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

  it('allows, sets RateLimit headers and rewrites the upstream request: 3 round trips for the facts, 1 per kind of change', async () => {
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
    expect(response.access.rpcs.filter((m) => m !== 'plugin.StartInstance')).toHaveLength(7);
    // No log phase: Kong sends the plugin server nothing after the response.
    expect(await response.log).toBeUndefined();
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

// Pinned to its route, an entry knows the route without nginx's request line: without a query
// rewrite (POLICY has one), nothing else reads the method, path or query.
describe('access phase of an entry pinned to its route', () => {
  // One entry per route, as the compiler emits them, each with its own id.
  const pinned = (route: string) => t.row({ ...POLICY, rewrite: undefined }, { route }, { id: `entry-${route}`, routeId: `kong-route-${route}` });

  it('allows in 3 PDK round trips: headers, consumer, RateLimit headers', async () => {
    const response = await t.kong.request(authenticated({ method: 'GET', path: '/v1/forecast' }, 'gina'), pinned('forecast'), { worker: 0 });
    expect(response.status).toBe(200);
    expect(response.headers.ratelimit).toBeDefined();
    expect(response.access.pdkCalls).toEqual(['kong.request.get_headers', 'kong.client.get_consumer', 'kong.response.set_headers']);
  });

  it('denies after 2 round trips, naming the request id in the problem', async () => {
    const request = authenticated({ method: 'GET', path: '/v1/history', headers: { 'X-Request-Id': 'req-77' } }, 'gina');
    const response = await t.kong.request(request, pinned('history'), { worker: 0 });
    expect(response.status).toBe(402);
    expect(JSON.parse(response.body)).toMatchObject({ status: 402, instance: 'req-77' });
    expect(response.access.pdkCalls).toEqual(['kong.request.get_headers', 'kong.client.get_consumer', 'kong.response.exit']);
    expect(response.access.rpcs.filter((m) => m !== 'plugin.StartInstance')).toHaveLength(3);
  });
});

describe('tollgate-charge-on-success: the log phase completes chargeOn success', () => {
  let c: TollgateKong;
  beforeAll(async () => {
    c = await startTollgateKong({ plugin: TOLLGATE_CHARGE_ON_SUCCESS, workers: 2 });
  });
  afterAll(async () => {
    await c.close();
  });

  it('gives the held quota back when the upstream answers 5xx, and keeps it otherwise, without buffering the response', async () => {
    const row = c.row({ ...POLICY, plans: [{ name: 'free', plan: { quota: { requests: 2, per: 'month' } } }], consumerPlans: {}, costs: { chargeOn: 'success' }, rewrite: undefined });
    const send = async (status: number) => {
      const response = await c.kong.request(authenticated({ method: 'GET', path: '/v1/forecast' }, 'frank'), row, { upstream: () => ({ status }) });
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

  it('runs a policy that charges on request too, its log phase making no PDK call', async () => {
    const response = await c.kong.request(authenticated({ method: 'GET', path: '/v1/forecast' }, 'hank'), c.row(POLICY));
    expect(response.status).toBe(200);
    expect((await response.log)?.pdkCalls).toEqual([]);
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

  it.each([
    ['an x402 policy, which must settle before the response is sent (tollgate-x402)', x402Policy('http://127.0.0.1:9/facilitator'), X402_NEEDS_RESPONSE_PHASE],
    ['a chargeOn success policy, which completes after the response (tollgate-charge-on-success)', { ...POLICY, costs: { chargeOn: 'success' } }, CHARGE_ON_SUCCESS_NEEDS_LOG_PHASE],
  ] as const)('refuses %s', async (_what, policy, message) => {
    const response = await t.kong.request({ method: 'GET', path: '/v1/forecast' }, t.row(policy));
    expect(response.status).toBe(500);
    expect((response.access.result as { message: string }).message).toContain(message);
  });

  it('a policy that is not JSON fails StartInstance clearly', async () => {
    const response = await t.kong.request({ method: 'GET', path: '/' }, t.kong.plugin({ policy: '{nope' }));
    expect(response.status).toBe(500);
    expect((response.access.result as { message: string }).message).toMatch(/tollgate: invalid plugin config .*not valid JSON/);
  });
});

describe('the compiler emits the plugin each policy needs', () => {
  const policy = (spec: string) => `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: choice }
spec:
  service: { name: api, url: "http://api.internal:8080" }
  routes: [{ name: items, paths: [/v1/items] }]
  identity: { auth: key-auth, limitBy: consumer }
  plans: { basic: { quota: { requests: 1000, per: month } } }
  defaultPlan: basic
  store: { kind: memory }
${spec}`;
  const X402 = `  payment:
    x402: { price: "0.01", asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", decimals: 6, network: "eip155:8453", payTo: "0x4b1e2a6b9a3c7d8e0f1a2b3c4d5e6f708192a3b4" }
`;
  it.each([
    ['charging on request', '', TOLLGATE],
    ['charging on success', '  costs: { chargeOn: success }\n', TOLLGATE_CHARGE_ON_SUCCESS],
    ['with an x402 offer', X402, TOLLGATE_X402],
    ['with an x402 offer, charging on success', `  costs: { chargeOn: success }\n${X402}`, TOLLGATE_X402],
  ])('%s: %s', (_what, spec, expected) => {
    const { project, diagnostics } = loadProject([{ path: 'choice.yaml', bytes: new TextEncoder().encode(policy(spec)) }]);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const result = compile(project, 'kong');
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    const doc = parse(result.files[0]?.text ?? '') as KongDocument;
    const entries = (doc.plugins ?? []).filter((p) => (PLUGIN_NAMES as readonly string[]).includes(p.name));
    // One entry pinned to route items, one on service api for routes added outside the policy.
    expect(entries.map((p) => [p.route ?? p.service, p.name, pluginNameFor(JSON.parse(String(p.config.policy)) as EngineConfig)])).toEqual([
      ['items', expected, expected],
      ['api', expected, expected],
    ]);
  });
});

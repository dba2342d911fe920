// The gateway's router, not the engine, decides which policy route a request is priced as. Kong
// matches a route's paths as plain prefixes, and so does APISIX with the `…*` uris the compiler
// emits: `/v1/models/large/completions;v=1`, `….json` and `…X` reach the large-model route, and the
// Tollgate entry the gateway runs there must price them as that route (cost 30 against a quota of
// 30 units: the second request is refused), on Kong through the real plugin server, on APISIX
// through the real runner.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApisixSide } from './support/apisix-side/index.js';
import { compile, TOLLGATE_PLUGINS } from '../packages/compiler/src/index.js';
import type { PluginMap, StandaloneDocument } from '../packages/compiler/src/targets/apisix/model.js';
import type { KongDocument, KongPlugin } from '../packages/compiler/src/targets/kong/model.js';
import { loadProject } from '../packages/policy/src/index.js';
import { removeRunnerBundle, startRunner, type RunnerProcess } from './support/apisix-runner.js';
import { authenticated, startTollgateKong, type TollgateKong } from './support/kong-plugin.js';

const POLICY = `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: models }
spec:
  service: { name: llm, url: "http://llm.internal:9000" }
  routes:
    - { name: small-model, paths: [/v1/models/small/completions], methods: [POST] }
    - { name: large-model, paths: [/v1/models/large/completions], methods: [POST] }
  identity: { auth: key-auth, limitBy: consumer }
  plans: { metered: { quota: { units: 30, per: month } } }
  defaultPlan: metered
  costs: { default: 1, routes: { small-model: 2, large-model: 30 } }
  store: { kind: memory }
`;

function compiled(target: 'kong' | 'apisix'): unknown {
  const { project, diagnostics } = loadProject([{ path: 'models.yaml', bytes: new TextEncoder().encode(POLICY) }]);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const result = compile(project, target);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  return parse(result.files[0]?.text.replace(/#END\n?$/, '') ?? '');
}

const LARGE_MODEL_PATHS = ['/v1/models/large/completions', '/v1/models/large/completions;v=1', '/v1/models/large/completions.json', '/v1/models/large/completionsX', '/v1/models/large/completions/stream'];

/** The Tollgate entry Kong runs on a route: the route's own, else its service's (Kong picks the most specific). */
function entryOnRoute(doc: KongDocument, route: string): KongPlugin {
  const service = doc.services?.find((s) => s.routes.some((r) => r.name === route));
  const tollgate = (doc.plugins ?? []).filter((p) => TOLLGATE_PLUGINS.has(p.name));
  const entry = tollgate.find((p) => p.route === route) ?? tollgate.find((p) => p.service === service?.name);
  if (!entry) throw new Error(`no Tollgate entry runs on route ${route}`);
  return entry;
}

describe('the route Kong matched prices the request', () => {
  let t: TollgateKong;
  beforeAll(async () => {
    t = await startTollgateKong({ workers: 1 });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(LARGE_MODEL_PATHS)('POST %s on route large-model costs 30', async (path) => {
      const entry = entryOnRoute(compiled('kong') as KongDocument, 'large-model');
      const row = t.kong.plugin(entry.config, { id: `entry-${entry.route ?? entry.service ?? ''}`, routeId: 'large-model', serviceId: 'llm' });
      const caller = authenticated({ method: 'POST', path }, `caller${path}`);
      const first = await t.kong.request(caller, row, { route: { id: 'large-model', name: 'large-model' } });
      expect(first.status).toBe(200);
      const second = await t.kong.request(caller, row, { route: { id: 'large-model', name: 'large-model' } });
      expect(second.status).toBe(402);
  });
});

/** The runner plugin conf APISIX runs on a route: the route's own plugin, else its service's (APISIX merges them, the route's winning). */
function extPluginOnRoute(doc: StandaloneDocument, route: string): PluginMap[string] {
  const found = doc.routes.find((r) => r.id === route);
  const service = doc.services.find((s) => s.id === found?.service_id);
  const conf = found?.plugins?.['ext-plugin-post-req'] ?? service?.plugins?.['ext-plugin-post-req'];
  if (!conf) throw new Error(`no ext-plugin-post-req runs on route ${route}`);
  return conf;
}

describe('the route APISIX matched prices the request', () => {
  let runner: RunnerProcess;
  let side: ApisixSide;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apisix-pinning-'));
    runner = await startRunner({ socketPath: join(dir, 'runner.sock') });
    side = new ApisixSide({ socketPath: join(dir, 'runner.sock'), readTimeoutMs: 5000 });
  });
  afterAll(async () => {
    side.close();
    await runner.stop();
    removeRunnerBundle();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(LARGE_MODEL_PATHS)('POST %s on route large-model costs 30', async (path) => {
    const plugin = extPluginOnRoute(compiled('apisix') as StandaloneDocument, 'large-model');
    const route = { id: 'large-model', conf: plugin.conf as { name: string; value: string }[] };
    const request = { method: 'POST', uri: path, vars: { consumer_name: `caller${path}` } };
    expect(await side.request(route, request)).toMatchObject({ kind: 'proxied' });
    expect(await side.request(route, request)).toMatchObject({ kind: 'stopped', status: 402 });
  });

  it('refuses, at PrepareConf, a tollgate-route the policy does not define', async () => {
    const plugin = extPluginOnRoute(compiled('apisix') as StandaloneDocument, 'large-model');
    const conf = (plugin.conf as { name: string; value: string }[]).map((e) => (e.name === 'tollgate-route' ? { ...e, value: 'huge-model' } : e));
    expect(await side.request({ id: 'huge-model', conf }, { method: 'POST', uri: '/v1/models/huge' })).toMatchObject({ kind: 'failed', error: 'failed to receive RPC_PREPARE_CONF: bad request' });
    expect(runner.output()).toContain('"tollgate-route" names route "huge-model", which the policy does not define');
  });
});

// With key-auth, the engine keeps a consumer's windows its own whatever header it sends
// (engine compile/identity.ts): a gateway limiter counting per header value (Kong rate-limiting
// limit_by header, APISIX limit-count keyed by the header) would let it escape them, so such
// windows stay in Tollgate. The anonymous consumer reaches the engine named, so it can tell it apart.
import { loadProject } from '@tollgate/policy';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { compile } from '../compile.js';
import { TOLLGATE_PLUGINS } from '../index.js';
import { ANONYMOUS_CONSUMER } from '../ir/engine-config.js';
import { DEFAULT_OPTIONS, type TargetName } from '../targets/target.js';

const policy = (identity: string) => `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: tenants }
spec:
  service: { name: tenants, url: "http://tenants.internal:8000" }
  routes:
    - { name: orders, paths: [/orders] }
  identity: ${identity}
  plans:
    everyone: { rateLimit: { minute: 5 } }
  defaultPlan: everyone
  payment: { x402: { price: "0.01", asset: "0xa", network: "eip155:8453", payTo: "0xb", facilitator: "https://f.example.com" } }
  store: { kind: memory }
`;

interface EngineConfigSeen {
  readonly identity: Record<string, unknown>;
  readonly plans: readonly { readonly plan: { readonly rateLimit?: unknown } }[];
}

/** Every gateway plugin named in a compiled file (Kong: `plugins[].name`; APISIX: `plugins` keys) and every Tollgate engine config. */
function walk(node: unknown, seen: { plugins: Set<string>; configs: EngineConfigSeen[] }): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, seen);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  const plugins = record.plugins;
  if (plugins !== null && typeof plugins === 'object' && !Array.isArray(plugins)) for (const name of Object.keys(plugins)) seen.plugins.add(name);
  if (Array.isArray(plugins)) for (const plugin of plugins as { name?: unknown }[]) if (typeof plugin.name === 'string') seen.plugins.add(plugin.name);
  const name = typeof record.name === 'string' ? record.name : '';
  const config = name === 'tollgate' ? record.value : TOLLGATE_PLUGINS.has(name) ? (record.config as { policy?: unknown } | undefined)?.policy : undefined;
  if (typeof config === 'string') seen.configs.push(JSON.parse(config) as EngineConfigSeen);
  for (const value of Object.values(record)) walk(value, seen);
}

function compiled(identity: string, target: TargetName): { plugins: Set<string>; configs: EngineConfigSeen[] } {
  const { project } = loadProject([{ path: 'p.yaml', bytes: new TextEncoder().encode(policy(identity)) }]);
  const result = compile(project, target, DEFAULT_OPTIONS);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  const seen = { plugins: new Set<string>(), configs: [] as EngineConfigSeen[] };
  for (const file of result.files) walk(parse(file.text, { version: '1.1' }), seen);
  return seen;
}

describe.each(['kong', 'apisix'] as const)('%s', (target) => {
  const native = target === 'kong' ? 'rate-limiting' : 'limit-count';

  test('auth none, limitBy header: the gateway may count per header value (the engine does the same)', () => {
    const out = compiled('{ auth: none, limitBy: header, header: X-Tenant }', target);
    expect([...out.plugins]).toContain(native);
  });

  test('key-auth, limitBy header: the windows stay in Tollgate, which counts per consumer', () => {
    const out = compiled('{ auth: key-auth, limitBy: header, header: X-Tenant }', target);
    expect([...out.plugins]).not.toContain(native);
    expect(out.configs.length).toBeGreaterThan(0);
    for (const config of out.configs) expect(config.plans[0]?.plan.rateLimit).toEqual({ minute: 5, window: 'fixed' });
  });

  test('key-auth with anonymous callers: the engine config names the anonymous consumer the gateway hands on', () => {
    const out = compiled('{ auth: key-auth, limitBy: ip, anonymous: true }', target);
    expect(out.configs.length).toBeGreaterThan(0);
    for (const config of out.configs) expect(config.identity.anonymousConsumer).toBe(ANONYMOUS_CONSUMER);
  });
});

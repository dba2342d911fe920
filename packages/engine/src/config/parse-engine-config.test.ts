import { describe, expect, it } from 'vitest';
import type { EngineConfig } from './engine-config.js';
import { parseEngineConfig } from './parse-engine-config.js';

const valid: EngineConfig = {
  version: 1,
  policy: 'weather',
  routes: [{ name: 'forecast', paths: ['/v1/forecast'] }],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [{ name: 'free', plan: { rateLimit: { minute: 10 } } }],
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
};

describe('parseEngineConfig', () => {
  it('accepts a valid config as JSON text or as a value', () => {
    expect(parseEngineConfig(JSON.stringify(valid))).toEqual({ ok: true, config: valid });
    expect(parseEngineConfig(valid)).toEqual({ ok: true, config: valid });
  });

  it('reports text that is not JSON', () => {
    const parsed = parseEngineConfig('{"version": 1,');
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors[0]).toMatch(/^config is not valid JSON: /);
  });

  it('lists every schema problem with its location', () => {
    const parsed = parseEngineConfig({ ...valid, version: 2, store: { kind: 'etcd' }, extra: true });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual(
      expect.arrayContaining(['/: unknown property "extra"', '/version: must be equal to constant', expect.stringMatching(/^\/store\/kind: must be equal to one of the allowed values/)]),
    );
  });

  it('needs the anonymous consumer named when key-auth lets anonymous callers in, so that they never share one account', () => {
    const parsed = parseEngineConfig({ ...valid, identity: { auth: 'key-auth', limitBy: 'consumer', anonymous: true } });
    expect(parsed.ok ? [] : parsed.errors).toEqual(['/identity/anonymousConsumer: required with key-auth and anonymous: true (the consumer key-auth gives unauthenticated callers)']);
    expect(parseEngineConfig({ ...valid, identity: { auth: 'key-auth', limitBy: 'consumer', anonymous: true, anonymousConsumer: 'tollgate-anonymous' } }).ok).toBe(true);
  });

  it('refuses a metered price that is no integer, as a policy would be', () => {
    const parsed = parseEngineConfig({ ...valid, costs: { metered: { forecast: { estimate: 1, usage: 'openai', prices: { '*': { input: 0.5, output: 1 } } } } } });
    expect(parsed.ok ? [] : parsed.errors).toEqual([expect.stringMatching(/^\/costs\/metered\/forecast\/prices\/\*\/input: must be integer/)]);
  });

  it('lists every cross-reference problem', () => {
    const parsed = parseEngineConfig({
      ...valid,
      routes: [...valid.routes, { name: 'forecast' }],
      plans: [{ name: 'free', plan: { routes: ['nowhere'] } }],
      defaultPlan: 'gold',
      consumerPlans: { alice: 'silver' },
      costs: { routes: { ghost: 2 }, metered: { phantom: { estimate: 1, header: 'X-Cost' } } },
      identity: { auth: 'none', limitBy: 'header' },
      store: { kind: 'redis' },
      payment: { x402: { price: '0.0000001', asset: 'USDC' } },
      rewrite: { request: { headers: { set: { 'X-A': '{{secret}}' } } } },
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([
      '/routes/1/name: duplicate route "forecast"',
      '/plans/0/plan/routes/0: unknown route "nowhere"',
      '/defaultPlan: unknown plan "gold"',
      '/consumerPlans/alice: unknown plan "silver"',
      '/costs/routes/ghost: unknown route "ghost"',
      '/costs/metered/phantom: unknown route "phantom"',
      '/identity/header: required when limitBy is header',
      '/store/url: required when kind is redis',
      '/payment/x402: x402 offer is missing network, payTo',
      "/payment/x402/price: price 0.0000001 has more decimal places than the asset's 6",
      '/rewrite/request/headers/set/X-A: unknown template variable {{secret}} (use consumer, plan, route, credential, header.NAME or query.NAME)',
    ]);
  });
});

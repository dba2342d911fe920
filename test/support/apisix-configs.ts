// EngineConfig values for the APISIX runner suites, as the compiler would put them in
// `ext-plugin-pre-req.conf[].value`.
import type { EngineConfig } from '../../packages/engine/src/index.js';

export function weatherConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    version: 1,
    policy: 'weather',
    routes: [
      { name: 'forecast', paths: ['/v1/forecast'], methods: ['GET'] },
      { name: 'history', paths: ['/v1/history'], methods: ['GET'] },
    ],
    identity: { auth: 'key-auth', limitBy: 'consumer' },
    plans: [
      { name: 'free', plan: { rateLimit: { minute: 3 }, routes: ['forecast'] } },
      { name: 'pro', plan: { rateLimit: { minute: 100 } } },
    ],
    defaultPlan: 'free',
    consumerPlans: { alice: 'pro' },
    costs: {},
    rewrite: { request: { headers: { set: { 'X-Plan': '{{plan}}' }, remove: ['Cookie'] }, query: { rename: { userId: 'user_id' } } } },
    store: { kind: 'memory' },
    ...overrides,
  };
}

export function tollgateRoute(id: string, config: EngineConfig, extra: { allowDegradation?: boolean; version?: string } = {}) {
  return { id, conf: [{ name: 'tollgate', value: JSON.stringify(config) }], ...extra };
}

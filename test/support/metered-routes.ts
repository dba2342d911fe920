// The policy the gateway tests of metered routes share (packages/sidecar/src/sidecar/handler.test.ts,
// test/kong-metered.test.ts): `chat` metered by its body (estimate from the request's max_tokens,
// cost from the response's OpenAI usage), `search` by the X-Cost-Units response header, `status`
// not metered; one monthly units quota.
import type { EngineConfig } from '../../packages/engine/src/index.js';

export function meteredRoutesConfig(policy: string, quotaUnits: number, store: EngineConfig['store']): EngineConfig {
  return {
    version: 1,
    policy,
    routes: [{ name: 'chat', paths: ['/chat'] }, { name: 'search', paths: ['/search'] }, { name: 'status', paths: ['/status'] }],
    identity: { auth: 'none', limitBy: 'ip' },
    plans: [{ name: 'free', plan: { quota: { units: quotaUnits, per: 'month' } } }],
    defaultPlan: 'free',
    consumerPlans: {},
    costs: {
      metered: {
        chat: { estimate: { requestField: 'max_tokens', fallback: 7 }, usage: 'openai', prices: { '*': { input: 1, output: 1 } }, per: 1 },
        search: { estimate: 3, header: 'X-Cost-Units' },
      },
    },
    store,
  };
}

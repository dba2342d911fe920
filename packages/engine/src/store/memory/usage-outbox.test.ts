// The memory store's usage outbox: the same charges the Redis scripts append (store README, "Usage
// outbox"), appended in process by the step that charges.
import { describe, expect, it } from 'vitest';
import { compileRouteRules } from '../../compile/route-rules.js';
import type { EngineConfig } from '../../config/engine-config.js';
import { HOLD_TTL_MS } from '../store.js';
import { MemoryStore } from './memory-store.js';

const COST = 3;
const INCLUDED = 2;

function rulesWith(onUnsettled?: 'commit') {
  const config: EngineConfig = {
    version: 1,
    policy: 'metered',
    routes: [{ name: 'search', paths: ['/v1/search'], methods: ['GET'] }],
    identity: { auth: 'key-auth', limitBy: 'consumer' },
    plans: [{ name: 'metered', plan: { quota: { requests: INCLUDED, per: 'month' }, overage: 'bill', credits: true } }],
    consumerPlans: {},
    defaultPlan: 'metered',
    costs: { default: COST, ...(onUnsettled === undefined ? {} : { onUnsettled }) },
    store: { kind: 'memory' },
  };
  return compileRouteRules(config)('search', 'GET');
}

describe('memory store usage outbox', () => {
  it('appends overage and credits as they are charged, a hold\'s when it completes', () => {
    const store = new MemoryStore({ keepUsage: true });
    const now = Date.UTC(2026, 0, 10);
    store.changeCredits('alice', { operation: 'grant', amount: 100, now });
    const admit = (holdKey?: string, rules = rulesWith()) => store.admit({ account: 'alice', scope: '', fallbackPlan: 'metered', now, rules, ...(holdKey === undefined ? {} : { holdKey }) });
    for (let i = 0; i < INCLUDED + 1; i++) expect(admit().outcome).toBe('allowed');
    expect(store.usage.take().map((e) => [e.meter, e.quantity, e.policy])).toEqual([
      ['credits', COST, 'metered'],
      ['credits', COST, 'metered'],
      ['overage', 1, 'metered'],
      ['credits', COST, 'metered'],
    ]);
    expect(store.usage.take()).toEqual([]);

    expect(admit('hold:kept').overage).toBe(1);
    expect(admit('hold:released').overage).toBe(1);
    expect(store.usage.take()).toEqual([]);
    store.completeHold('alice', 'hold:kept', 'commit', now);
    store.completeHold('alice', 'hold:released', 'release', now);
    // A release gives back the credits, never the overage counted (store README, "Usage outbox").
    expect(store.usage.take().map((e) => [e.id, e.meter, e.quantity])).toEqual([
      ['hold:kept:overage', 'overage', 1],
      ['hold:kept:credits', 'credits', COST],
      ['hold:released:overage', 'overage', 1],
    ]);

    admit('hold:expires', rulesWith('commit'));
    store.usage.take();
    store.changeCredits('alice', { operation: 'grant', amount: 1, now: now + HOLD_TTL_MS + 1 });
    expect(store.usage.take().map((e) => [e.id, e.quantity])).toEqual([
      ['hold:expires:overage', 1],
      ['hold:expires:credits', COST],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from './clock.js';
import type { EngineConfig } from './config/engine-config.js';
import { createEngine, DEGRADED_HEADER, type Engine } from './engine.js';
import { createMemoryStore } from './store/memory/memory-store.js';
import type { Store } from './store/store.js';
import { hangingStore, unreachableStore } from './store/test-support/failing-stores.js';
import type { RequestFacts } from './types.js';

const config = (store: EngineConfig['store']): EngineConfig => ({
  version: 1,
  policy: 'p',
  routes: [
    { name: 'open', paths: ['/open'] },
    { name: 'paid', paths: ['/paid'] },
  ],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [{ name: 'free', plan: { routes: ['open'] } }, { name: 'pro', plan: {} }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: { chargeOn: 'success' },
  store,
});

const facts = (path: string, extra: Partial<RequestFacts> = {}): RequestFacts => ({
  method: 'GET',
  path,
  headers: {},
  query: {},
  clientIp: '192.0.2.1',
  consumer: { username: 'alice' },
  ...extra,
});

function engineOf(cfg: EngineConfig, store: Store, clock: Clock = new ManualClock(0)): Engine {
  const compiled = createEngine(cfg, store, clock);
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.engine;
}

describe('failure mode', () => {
  it('fails open within the timeout when the store hangs', async () => {
    const engine = engineOf(config({ kind: 'memory', timeoutMs: 30 }), hangingStore());
    const started = performance.now();
    const decision = await engine.decide(facts('/open'));
    expect(performance.now() - started).toBeLessThan(500);
    expect(decision.kind).toBe('allow');
    expect(decision.kind === 'allow' && decision.responseHeaders[DEGRADED_HEADER]).toBe('store-unavailable');
    expect(decision.log).toMatchObject({ decision: 'allow', degraded: 'open', error: 'store did not answer within 30 ms' });
  });

  it('fails closed with 503 within the timeout when the store hangs', async () => {
    const engine = engineOf(config({ kind: 'memory', timeoutMs: 30, onFailure: 'closed' }), hangingStore());
    const decision = await engine.decide(facts('/open'));
    expect(decision).toMatchObject({ kind: 'deny', status: 503, reason: 'store-unavailable', log: { degraded: 'closed' } });
  });

  it('turns a throwing clock into the failure-mode decision, never an exception', async () => {
    const broken: Clock = {
      now: () => {
        throw new Error('clock file missing');
      },
    };
    const engine = engineOf(config({ kind: 'memory', onFailure: 'closed' }), createMemoryStore(), broken);
    expect(await engine.decide(facts('/open'))).toMatchObject({ kind: 'deny', status: 503, log: { error: 'clock file missing' } });
  });

  it('reports a failed completion instead of rejecting', async () => {
    const engine = engineOf(config({ kind: 'memory' }), unreachableStore());
    const hold = { id: JSON.stringify({ hold: { account: 'alice', key: 'hold:x' } }) };
    expect(await engine.complete(hold, 502)).toEqual({ hold: { kind: 'failed', error: 'connect ECONNREFUSED 127.0.0.1:6379' }, payment: { kind: 'none' }, headers: {} });
    expect(await engine.complete(hold, 200)).toMatchObject({ hold: { kind: 'failed' } });
    for (const id of ['garbage', '[]', '{}', '{"hold":{"account":1}}']) {
      expect(await engine.complete({ id }, 200)).toEqual({ hold: { kind: 'failed', error: 'not a follow-up of this engine' }, payment: { kind: 'none' }, headers: {} });
    }
  });
});

describe('routes', () => {
  it('matches method, path and host when the gateway gives no route, and trusts the route it gives', async () => {
    const engine = engineOf(config({ kind: 'memory' }), createMemoryStore());
    expect(await engine.decide(facts('/paid'))).toMatchObject({ kind: 'deny', status: 402, reason: 'plan-upgrade-required', log: { route: 'paid' } });
    expect(await engine.decide(facts('/paid', { route: 'open' }))).toMatchObject({ kind: 'allow', log: { route: 'open', plan: 'free' } });
  });
});

describe('decision log', () => {
  it('names policy, consumer, route, plan, reason, status and cost', async () => {
    const engine = engineOf(config({ kind: 'memory' }), createMemoryStore());
    expect((await engine.decide(facts('/open'))).log).toEqual({ policy: 'p', consumer: 'alice', route: 'open', plan: 'free', decision: 'allow', reason: 'allowed', status: 200, cost: 1 });
  });
});

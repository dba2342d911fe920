// A metered route through the engine on the memory store: the admission holds the estimate, the
// Allow asks for what the settlement reads, and complete() settles what the response states.
import { describe, expect, it } from 'vitest';
import { createAccounts } from '../accounts.js';
import { ManualClock } from '../clock.js';
import type { EngineConfig } from '../config/engine-config.js';
import { createEngine, type Engine } from '../engine.js';
import { NO_OBSERVER, type MeteringLog } from '../ops/observer.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { unreachableStore } from '../store/test-support/failing-stores.js';
import type { Allow, RequestFacts } from '../types.js';
import { captureBody } from './capture.js';

const CONFIG: EngineConfig = {
  version: 1,
  policy: 'p',
  routes: [
    { name: 'chat', paths: ['/v1/chat'], methods: ['POST'] },
    { name: 'search', paths: ['/v1/search'], methods: ['GET'] },
    { name: 'plain', paths: ['/v1/plain'], methods: ['GET'] },
  ],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [{ name: 'prepaid', plan: { credits: true } }],
  defaultPlan: 'prepaid',
  consumerPlans: {},
  costs: {
    metered: {
      chat: { estimate: { requestField: 'max_tokens', inputTokens: 100, fallback: 9 }, usage: 'openai', prices: { 'gpt-4o': { input: 3, output: 12 } }, per: 1000 },
      search: { estimate: 4, header: 'X-Cost-Units' },
    },
  },
  store: { kind: 'memory' },
};

const facts = (method: string, path: string, body?: string): RequestFacts => ({
  method,
  path,
  headers: {},
  query: {},
  clientIp: '192.0.2.1',
  consumer: { username: 'alice' },
  requestId: 'req-1',
  ...(body === undefined ? {} : { body }),
});

async function setUp() {
  const store = createMemoryStore();
  const clock = new ManualClock(Date.parse('2026-03-10T12:00:00Z'));
  await createAccounts(store, clock).changeCredits('alice', 'grant', 100);
  const logs: MeteringLog[] = [];
  const compiled = createEngine(CONFIG, store, clock, { observer: { ...NO_OBSERVER, metered: (log) => logs.push(log) } });
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return { engine: compiled.engine, store, logs };
}

async function allowed(engine: Engine, request: RequestFacts): Promise<Allow> {
  const decision = await engine.decide(request);
  if (decision.kind !== 'allow') throw new Error(`expected an allow, got ${decision.kind}`);
  return decision;
}

describe('a metered route through the engine', () => {
  it('holds the estimate priced from the request and settles the usage of the response', async () => {
    const { engine, store, logs } = await setUp();
    const allow = await allowed(engine, facts('POST', '/v1/chat', '{"model":"gpt-4o","max_tokens":1000}'));
    // (100 × 3 + 1000 × 12) / 1000 = 12.3 → 13
    expect(allow.log.cost).toBe(13);
    expect(allow.observe).toEqual({ body: true });
    expect(store.getAccount('alice').credits).toBe(87);
    const body = captureBody('{"usage":{"prompt_tokens":200,"completion_tokens":100}}');
    const completion = await engine.complete(allow.followUp as NonNullable<Allow['followUp']>, 200, { status: 200, body, contentType: 'application/json' });
    // (200 × 3 + 100 × 12) / 1000 = 1.8 → 2
    expect(completion.hold).toMatchObject({ kind: 'settled', charged: 2 });
    expect(store.getAccount('alice').credits).toBe(98);
    expect(logs).toEqual([{ policy: 'p', route: 'chat', requestId: 'req-1', event: 'settled', estimate: 13, settle: 2, upstreamStatus: 200, outcome: 'settled', writtenOff: 0 }]);
  });

  it('asks for the cost header, and settles the estimate when the response lacks it', async () => {
    const { engine, store, logs } = await setUp();
    const allow = await allowed(engine, facts('GET', '/v1/search'));
    expect(allow.observe).toEqual({ header: 'x-cost-units' });
    expect(allow.log.cost).toBe(4);
    await engine.complete(allow.followUp as NonNullable<Allow['followUp']>, 200);
    expect(store.getAccount('alice').credits).toBe(96);
    expect(logs.map((l) => [l.event, l.settle])).toEqual([['cost-unread', 4]]);
  });

  it('leaves other routes as they were: fixed cost, no capture, no follow-up under chargeOn request', async () => {
    const { engine, store } = await setUp();
    const allow = await allowed(engine, facts('GET', '/v1/plain'));
    expect(allow.observe).toBeUndefined();
    expect(allow.followUp).toBeUndefined();
    expect(store.getAccount('alice').credits).toBe(99);
  });

  it('explains a metered request with its estimate as its cost', async () => {
    const { engine } = await setUp();
    const trace = await engine.explain(facts('POST', '/v1/chat', '{"model":"gpt-4o","max_tokens":1000}'));
    expect(trace.cost).toBe(13);
  });

  it('refuses a config whose metered route says nowhere where its cost comes from', () => {
    const compiled = createEngine({ ...CONFIG, costs: { metered: { search: { estimate: 4 } } } }, createMemoryStore(), new ManualClock(0));
    expect(compiled).toEqual({ ok: false, errors: ['costs.metered.search: give exactly one of header and usage'] });
  });
});

describe('a metered route while the store is down (onFailure open)', () => {
  it('is let through unsettled, its cost header still taken off the client response', async () => {
    const compiled = createEngine({ ...CONFIG, store: { kind: 'memory', onFailure: 'open' } }, unreachableStore(), new ManualClock(0));
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    const header = await allowed(compiled.engine, facts('GET', '/v1/search'));
    expect(header).toMatchObject({ observe: { header: 'x-cost-units' }, log: { degraded: 'open' } });
    expect(header.followUp).toBeUndefined();
    const usage = await allowed(compiled.engine, facts('POST', '/v1/chat', '{"model":"gpt-4o","max_tokens":10}'));
    expect(usage.observe).toBeUndefined();
  });
});

import type { MeteredRoute } from '@tollgate/policy/schema';
import { describe, expect, it } from 'vitest';
import type { EngineConfig } from '../config/engine-config.js';
import type { RequestFacts } from '../types.js';
import { actualCost, admitMetered, compileMeters, routeReadsBody, type Meter } from './meter.js';

function configWith(metered: Record<string, MeteredRoute>): EngineConfig {
  return {
    version: 1,
    policy: 'p',
    routes: [{ name: 'chat', paths: ['/v1/chat'] }],
    identity: { auth: 'key-auth', limitBy: 'consumer' },
    plans: [],
    consumerPlans: {},
    costs: { metered },
    store: { kind: 'memory' },
  };
}

function meterOf(spec: MeteredRoute): Meter {
  const compiled = compileMeters(configWith({ chat: spec }));
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.meters.get('chat') as Meter;
}

const request = (body?: string, extra: Partial<RequestFacts> = {}): RequestFacts => ({ method: 'POST', path: '/v1/chat', headers: {}, query: {}, clientIp: '192.0.2.1', ...(body === undefined ? {} : { body }), ...extra });

const LLM: MeteredRoute = {
  estimate: { requestField: 'max_tokens', inputTokens: 500, fallback: 40 },
  usage: 'openai',
  prices: { 'gpt-4o': { input: 3, output: 12 }, '*': { input: 1, output: 1 } },
  per: 1000,
};

describe('compiling metered routes', () => {
  it('refuses a route with both or neither cost source, usage or a computed estimate without prices', () => {
    const compiled = compileMeters(
      configWith({
        both: { estimate: 1, header: 'X-Cost', usage: 'openai', prices: { '*': { input: 1, output: 1 } } },
        neither: { estimate: 1 },
        unpriced: { estimate: 1, usage: 'openai' },
        guess: { estimate: { requestField: 'max_tokens', fallback: 1 }, header: 'X-Cost' },
      }),
    );
    expect(compiled).toEqual({
      ok: false,
      errors: [
        'costs.metered.both: give exactly one of header and usage',
        'costs.metered.neither: give exactly one of header and usage',
        'costs.metered.unpriced: usage needs prices',
        'costs.metered.guess: an estimate from requestField needs prices',
      ],
    });
  });

  it('asks the adapter for what each source needs', () => {
    expect(meterOf({ estimate: 5, header: 'X-Cost-Units' }).observe).toEqual({ header: 'x-cost-units' });
    expect(meterOf(LLM).observe).toEqual({ body: true });
    const config = configWith({ chat: LLM, fixed: { estimate: 5, header: 'X-Cost' }, flat: { estimate: 5, usage: 'openai', prices: { '*': { input: 1, output: 1 } }, model: 'route' } });
    expect(['chat', 'fixed', 'flat', 'other'].map((route) => routeReadsBody(config, route))).toEqual([true, false, false, false]);
  });
});

describe('the estimate an admission holds', () => {
  it('is the fixed amount, whatever the body says', () => {
    expect(admitMetered(meterOf({ estimate: 2000, header: 'X-Cost' }), request('{"max_tokens":1}'))).toEqual({ estimate: 2000 });
  });

  it('prices the request field at the output rate and the fixed input estimate at the input rate of the model', () => {
    // (500 × 3 + 1000 × 12) / 1000 = 13.5 → 14
    expect(admitMetered(meterOf(LLM), request('{"model":"gpt-4o","max_tokens":1000}'))).toEqual({ estimate: 14, price: 'gpt-4o' });
    // (500 + 1000) / 1000 = 1.5 → 2, at the "*" price (names are case-sensitive)
    expect(admitMetered(meterOf(LLM), request('{"model":"GPT-4o","max_tokens":1000}'))).toEqual({ estimate: 2, price: '*' });
  });

  it.each([
    ['no body', undefined, {}],
    ['no such field', '{"model":"gpt-4o"}', {}],
    ['a field that is no count', '{"model":"gpt-4o","max_tokens":"1000"}', {}],
    ['not JSON', 'max_tokens=1000', {}],
    ['a cut body', '{"model":"gpt-4o","max_tokens":1000}', { bodyTruncated: true }],
  ])('falls back with %s', (_name, body, extra) => {
    expect(admitMetered(meterOf(LLM), request(body, extra)).estimate).toBe(40);
  });

  it('falls back when no price applies to the model, and holds everything for an unpayable bound', () => {
    const pricedOnly = { ...LLM, prices: { 'gpt-4o': { input: 3, output: 12 } } };
    expect(admitMetered(meterOf(pricedOnly), request('{"model":"o1","max_tokens":1000}'))).toEqual({ estimate: 40 });
    expect(admitMetered(meterOf({ ...LLM, per: 1 }), request(`{"model":"gpt-4o","max_tokens":${Number.MAX_SAFE_INTEGER}}`)).estimate).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('the actual cost of a response', () => {
  const body = (text: string) => ({ head: text, tail: '', size: text.length });

  it('reads a cost header strictly', () => {
    const meter = meterOf({ estimate: 5, header: 'X-Cost' });
    expect(actualCost(meter, { estimate: 5 }, { status: 200, header: '17' })).toBe(17);
    expect(actualCost(meter, { estimate: 5 }, { status: 200, header: '1.5' })).toBeUndefined();
    expect(actualCost(meter, { estimate: 5 }, { status: 200 })).toBeUndefined();
    expect(actualCost(meter, { estimate: 5 }, undefined)).toBeUndefined();
  });

  it('prices the usage at the price chosen at admission', () => {
    const usage = body('{"usage":{"prompt_tokens":1200,"completion_tokens":300}}');
    // (1200 × 3 + 300 × 12) / 1000 = 7.2 → 8
    expect(actualCost(meterOf(LLM), { estimate: 14, price: 'gpt-4o' }, { status: 200, body: usage, contentType: 'application/json' })).toBe(8);
    // (1200 + 300) / 1000 = 1.5 → 2
    expect(actualCost(meterOf(LLM), { estimate: 2, price: '*' }, { status: 200, body: usage, contentType: 'application/json' })).toBe(2);
    expect(actualCost(meterOf(LLM), { estimate: 40 }, { status: 200, body: usage })).toBeUndefined();
    expect(actualCost(meterOf(LLM), { estimate: 14, price: 'gpt-4o' }, { status: 200 })).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import type { EngineConfig } from './engine-config.js';
import { entryIsMetered, entryNeedsBody, entryObservedHeaders, entryObservesBody, routeNeedsBody, routeObservation } from './route-needs.js';

// costs.metered and costs.mcp as the policy language spells them (helpers metered and mcp).
const config = {
  routes: [{ name: 'chat' }, { name: 'fixed' }, { name: 'tools' }, { name: 'plain' }, { name: 'priced' }],
  costs: {
    metered: {
      chat: { estimate: { requestField: 'max_tokens', fallback: 100 }, usage: 'openai', prices: { '*': { input: 1, output: 2 } } },
      fixed: { estimate: 10, header: 'X-Cost-Units' },
      priced: { estimate: 10, usage: { total: 'usage.total_tokens' }, prices: { '*': { input: 1, output: 1 } }, model: 'route' },
    },
    mcp: { tools: { tools: { search: 3 } } },
  },
} as unknown as Pick<EngineConfig, 'costs' | 'routes'>;

describe('routeNeedsBody', () => {
  it.each([
    ['an estimate computed from a request field', 'chat', true],
    ['a fixed estimate and a cost header', 'fixed', false],
    ['prices of one model for every request (model: route)', 'priced', false],
    ['an MCP route', 'tools', true],
    ['a route that is neither', 'plain', false],
  ])('%s → %s', (_why, route, needed) => {
    expect(routeNeedsBody(config, route)).toBe(needed);
  });

  it('prices per model read the model from the body unless the route says otherwise', () => {
    const byModel = { costs: { metered: { chat: { estimate: 5, usage: 'anthropic', prices: { 'claude-x': { input: 1, output: 5 } } } } } } as unknown as Pick<EngineConfig, 'costs'>;
    expect(routeNeedsBody(byModel, 'chat')).toBe(true);
  });
});

describe('routeObservation', () => {
  it('a cost header is observed by its lower-case name; token usage by the body', () => {
    expect(routeObservation(config, 'fixed')).toEqual({ header: 'x-cost-units' });
    expect(routeObservation(config, 'chat')).toEqual({ body: true });
    expect(routeObservation(config, 'tools')).toBeUndefined();
  });
});

describe('adapter entries', () => {
  it('a pinned entry asks for what its route needs; an entry without a route for what any route needs', () => {
    expect(entryNeedsBody(config, 'fixed')).toBe(false);
    expect(entryNeedsBody(config, undefined)).toBe(true);
    expect(entryObservesBody(config, 'fixed')).toBe(false);
    expect(entryObservesBody(config, undefined)).toBe(true);
    expect(entryIsMetered(config, 'plain')).toBe(false);
    expect(entryIsMetered(config, 'fixed')).toBe(true);
    expect(entryObservedHeaders(config, undefined)).toEqual(['x-cost-units']);
    expect(entryObservedHeaders(config, 'chat')).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { EngineConfig } from '@tollgate/engine';
import { planFacts } from './request-facts.js';

const base: EngineConfig = {
  version: 1,
  policy: 'p',
  routes: [{ name: 'r', paths: ['/'] }],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [],
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
};

describe('planFacts: only the PDK calls a policy needs', () => {
  it.each([
    ['key-auth by consumer', {}, { consumer: true, credential: false, clientIp: false, scheme: false }],
    ['key-auth by credential', { identity: { auth: 'key-auth', limitBy: 'credential' } }, { consumer: true, credential: true, clientIp: false, scheme: false }],
    ['no auth, by IP', { identity: { auth: 'none', limitBy: 'ip' } }, { consumer: false, credential: false, clientIp: true, scheme: false }],
    ['no auth, by header (IP fallback)', { identity: { auth: 'none', limitBy: 'header', header: 'X-Key' } }, { consumer: false, credential: false, clientIp: true, scheme: false }],
    ['x402 offer (absolute resource URL)', { payment: { x402: { price: '0.01' } } }, { consumer: true, credential: false, clientIp: false, scheme: true }],
    [
      'templates naming the consumer and credential',
      { identity: { auth: 'none', limitBy: 'ip' }, rewrite: { request: { headers: { set: { 'X-C': '{{consumer}}/{{credential}}' } } } } },
      { consumer: true, credential: true, clientIp: true, scheme: false },
    ],
  ] as const)('%s', (_name, over, expected) => {
    expect(planFacts({ ...base, ...over }, undefined)).toEqual({ ...expected, route: undefined });
  });

  it('carries the route the compiler pinned', () => {
    expect(planFacts(base, 'forecast').route).toBe('forecast');
  });
});

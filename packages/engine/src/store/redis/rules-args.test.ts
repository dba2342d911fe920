import { describe, expect, it } from 'vitest';
import type { PlanRule, RouteRules } from '../store.js';
import { rulesArgs } from './rules-args.js';

const pro: PlanRule = {
  kind: 'check',
  windows: [{ name: 'second', limit: 5, ms: 1000, sliding: true }],
  quotas: [{ unit: 'units', limit: 100, per: 'month', anchor: 'subscription' }],
  credits: true,
  overage: 'credits',
};
const rules: RouteRules = {
  policy: 'p',
  cost: 3,
  subscription: { statuses: ['active', 'trialing'], graceMs: 86_400_000 },
  plans: { free: { kind: 'deny', reason: 'plan-upgrade-required' }, pro },
  noPlan: { kind: 'deny', reason: 'not-entitled' },
};

/** What the admit script does with the list: position p is element p - 1. */
function at(args: readonly (string | number)[], p: number): string | number | undefined {
  return args[p - 1];
}

describe('rulesArgs', () => {
  it('lays RouteRules out as the admit script reads them', () => {
    const args = rulesArgs(rules);
    expect(args.slice(0, 6)).toEqual(['p', 3, 86_400_000, 2, 'active', 'trialing']);
    const statusCount = 2;
    const noPlanAt = at(args, 5 + statusCount) as number;
    expect(args.slice(noPlanAt - 1, noPlanAt + 1)).toEqual(['deny', 'not-entitled']);
    expect(at(args, 6 + statusCount)).toBe(2);
    const plans = new Map([1, 2].map((i) => [at(args, 6 + statusCount + 2 * i - 1), at(args, 6 + statusCount + 2 * i) as number]));
    const freeAt = plans.get('free') as number;
    expect(args.slice(freeAt - 1, freeAt + 1)).toEqual(['deny', 'plan-upgrade-required']);
    const proAt = plans.get('pro') as number;
    expect(args.slice(proAt - 1)).toEqual(['check', 1, 'credits', 1, 'second', 5, 1000, 1, 1, 'units', 100, 'month', 'subscription']);
  });

  it('marks a route without a subscription requirement with an empty grace', () => {
    const args = rulesArgs({ policy: 'p', cost: 1, plans: {}, noPlan: pro });
    expect(args.slice(0, 6)).toEqual(['p', 1, '', 0, 7, 0]);
    expect(args.slice(6)).toEqual(['check', 1, 'credits', 1, 'second', 5, 1000, 1, 1, 'units', 100, 'month', 'subscription']);
  });

  it('encodes each RouteRules once', () => {
    expect(rulesArgs(rules)).toBe(rulesArgs(rules));
  });
});

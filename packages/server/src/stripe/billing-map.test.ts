import { describe, expect, it } from 'vitest';
import { billingProject, CONSUMERS, PLANS, projectOf } from '../test-support/billing-project.js';
import { BillingMapError, billingMapFromProject } from './billing-map.js';

const POLICY = `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: inline }
spec:
  routes: [{ name: r1, paths: [/a], methods: [GET] }]
  identity: { auth: key-auth, limitBy: consumer }
  plans:
    gold: { billing: { stripePriceIds: [price_1Gold] } }
`;

describe('billing map', () => {
  it('maps prices to plans (Plans documents and inline plans) and customers to consumers', () => {
    const map = billingMapFromProject(projectOf({ 'plans.yaml': PLANS, 'consumers.yaml': CONSUMERS, 'policy.yaml': POLICY }));
    expect(map.planOfPrice('price_1WeatherProYearly')).toBe('pro');
    expect(map.planOfPrice('price_1Gold')).toBe('gold');
    expect(map.planOfPrice('price_1Nope')).toBeUndefined();
    expect(map.consumerOfCustomer('cus_acme')).toBe('acme-weather');
    expect(map.consumerOfCustomer('cus_nobody')).toBeUndefined();
  });

  it('accepts the same plan seen through a Plans document and a policy using it', () => {
    const usesPlans = POLICY.replace('  plans:\n    gold: { billing: { stripePriceIds: [price_1Gold] } }\n', '  usePlans: plans\n');
    expect(billingMapFromProject(projectOf({ 'plans.yaml': PLANS, 'policy.yaml': usesPlans })).planOfPrice('price_1WeatherFreeMonthly')).toBe('free');
  });

  it('lists every contradiction at once', () => {
    const clash = POLICY.replace('price_1Gold', 'price_1WeatherProMonthly');
    const twins = CONSUMERS.replace('{ name: hobbyist, plan: free }', '{ name: hobbyist, customId: cus_acme }');
    let error: unknown;
    try {
      billingMapFromProject(projectOf({ 'plans.yaml': PLANS, 'consumers.yaml': twins, 'policy.yaml': clash }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BillingMapError);
    expect((error as BillingMapError).problems).toEqual([
      'Stripe price price_1WeatherProMonthly is listed by plans "pro" and "gold"',
      'customId cus_acme belongs to consumers "acme-weather" and "hobbyist"',
    ]);
    expect(billingMapFromProject(billingProject()).planOfPrice('price_1WeatherProMonthly')).toBe('pro');
  });
});

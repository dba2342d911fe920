// A policy project with Stripe billing mappings, loaded by the real policy loader.
import { loadProject, type Project } from '@tollgate/policy';

export const PLANS = `apiVersion: tollgate.dev/v1
kind: Plans
metadata: { name: plans }
spec:
  plans:
    free: { billing: { stripePriceIds: [price_1WeatherFreeMonthly] } }
    pro: { billing: { stripePriceIds: [price_1WeatherProMonthly, price_1WeatherProYearly] } }
`;

export const CONSUMERS = `apiVersion: tollgate.dev/v1
kind: Consumers
metadata: { name: customers }
spec:
  consumers:
    - { name: acme-weather, customId: cus_acme, plan: pro }
    - { name: hobbyist, plan: free }
`;

export function projectOf(files: Record<string, string>): Project {
  const encoder = new TextEncoder();
  const { project, diagnostics } = loadProject(Object.entries(files).map(([path, text]) => ({ path, bytes: encoder.encode(text) })));
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`fixture does not load: ${errors.map((d) => d.message).join('; ')}`);
  return project;
}

export function billingProject(): Project {
  return projectOf({ 'plans.yaml': PLANS, 'consumers.yaml': CONSUMERS });
}

import type { Project } from '../load/load-project.js';
import { didYouMean } from '../load/suggest.js';
import type { Rule, RuleFinding } from './rule.js';
import { planEntries, plansOf } from './plan-entries.js';

export const unknownReference: Rule = {
  id: 'unknown-reference',
  severity: 'error',
  description: 'Plans, routes (costs.routes, costs.metered, plan grants) and plan catalogues named in a policy or consumer must exist.',
  *check(project: Project): Iterable<RuleFinding> {
    const catalogues = project.plans.map((p) => p.value.metadata.name);
    for (const policy of project.policies) {
      const { spec } = policy.value;
      if (spec.usePlans !== undefined && !catalogues.includes(spec.usePlans)) {
        yield { document: policy, path: ['spec', 'usePlans'], message: `no Plans document named "${spec.usePlans}"${didYouMean(spec.usePlans, catalogues)}` };
      }
      const planNames = plansOf(project, policy).map((e) => e.name);
      if (spec.defaultPlan !== undefined && !planNames.includes(spec.defaultPlan)) {
        yield { document: policy, path: ['spec', 'defaultPlan'], message: `policy "${policy.value.metadata.name}" has no plan "${spec.defaultPlan}"${didYouMean(spec.defaultPlan, planNames)}` };
      }
      const routeNames = spec.routes.map((r) => r.name);
      for (const section of ['routes', 'metered'] as const) {
        for (const route of Object.keys(spec.costs?.[section] ?? {})) {
          if (!routeNames.includes(route)) {
            yield { document: policy, path: ['spec', 'costs', section, route], at: 'key', message: `policy "${policy.value.metadata.name}" has no route "${route}"${didYouMean(route, routeNames)}` };
          }
        }
      }
    }
    for (const entry of planEntries(project)) {
      for (const [index, grant] of (entry.plan.routes ?? []).entries()) {
        const route = typeof grant === 'string' ? grant : grant.route;
        for (const user of entry.users) {
          const routeNames = user.value.spec.routes.map((r) => r.name);
          if (!routeNames.includes(route)) {
            const path = typeof grant === 'string' ? [...entry.path, 'routes', index] : [...entry.path, 'routes', index, 'route'];
            yield { document: entry.document, path, message: `plan "${entry.name}" grants route "${route}", which policy "${user.value.metadata.name}" does not define${didYouMean(route, routeNames)}` };
          }
        }
      }
    }
    const allPlans = new Set(planEntries(project).map((e) => e.name));
    for (const doc of project.consumers) {
      for (const [index, consumer] of doc.value.spec.consumers.entries()) {
        if (consumer.plan !== undefined && !allPlans.has(consumer.plan)) {
          yield { document: doc, path: ['spec', 'consumers', index, 'plan'], message: `no policy or catalogue defines plan "${consumer.plan}"${didYouMean(consumer.plan, allPlans)}` };
        }
      }
    }
  },
};

import type { PathSegment } from '../diagnostics.js';
import type { Located, Project } from '../load/load-project.js';
import type { Target } from '../load/locate.js';
import type { Rule, RuleFinding } from './rule.js';

interface Named {
  readonly what: string;
  readonly name: string;
  readonly document: Located;
  readonly path: readonly PathSegment[];
  readonly at?: Target;
}

/** Everything whose name must be unique in a project: the gateways key entities by these names. */
function* namedThings(project: Project): Iterable<Named> {
  const all = [...project.policies, ...project.plans, ...project.consumers];
  for (const document of all) {
    yield { what: `${document.value.kind} document`, name: document.value.metadata.name, document, path: ['metadata', 'name'] };
  }
  for (const policy of project.policies) {
    const { spec } = policy.value;
    if (spec.service) yield { what: 'service', name: spec.service.name, document: policy, path: ['spec', 'service', 'name'] };
    for (const [index, route] of spec.routes.entries()) {
      yield { what: 'route', name: route.name, document: policy, path: ['spec', 'routes', index, 'name'] };
    }
    const catalogue = project.plans.find((p) => p.value.metadata.name === spec.usePlans);
    for (const plan of Object.keys(spec.plans ?? {})) {
      if (catalogue && plan in catalogue.value.spec.plans) {
        yield { what: 'plan', name: plan, document: catalogue, path: ['spec', 'plans', plan], at: 'key' };
        yield { what: 'plan', name: plan, document: policy, path: ['spec', 'plans', plan], at: 'key' };
      }
    }
  }
  for (const document of project.consumers) {
    for (const [index, consumer] of document.value.spec.consumers.entries()) {
      yield { what: 'consumer', name: consumer.name, document, path: ['spec', 'consumers', index, 'name'] };
    }
  }
}

function where(n: Named): string {
  return `${n.document.source}${n.document.index > 0 ? ` (document ${n.document.index + 1})` : ''}`;
}

export const duplicateName: Rule = {
  id: 'duplicate-name',
  severity: 'error',
  description: 'Documents, services, routes, plans and consumers need names unique across all files.',
  *check(project: Project): Iterable<RuleFinding> {
    const seen = new Map<string, Named>();
    for (const named of namedThings(project)) {
      const key = `${named.what}\u0000${named.name}`;
      const first = seen.get(key);
      if (!first) {
        seen.set(key, named);
        continue;
      }
      yield { document: named.document, path: named.path, at: named.at, message: `${named.what} "${named.name}" is already defined in ${where(first)}` };
    }
  },
};

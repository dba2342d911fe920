import type { PathSegment } from '../diagnostics.js';
import type { Located, Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';

const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i;

function finding(document: Located, path: readonly PathSegment[], what: string): RuleFinding {
  return { document, path, message: `${what} is written inline; reference it from the environment instead ({ env: NAME })` };
}

export const noInlineSecret: Rule = {
  id: 'no-inline-secret',
  severity: 'error',
  description: 'Credentials and passwords must be environment references, never literals in policy files.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const document of project.consumers) {
      for (const [index, consumer] of document.value.spec.consumers.entries()) {
        for (const [keyIndex, key] of (consumer.credentials?.keyAuth ?? []).entries()) {
          if (typeof key === 'string') yield finding(document, ['spec', 'consumers', index, 'credentials', 'keyAuth', keyIndex], `an API key of consumer "${consumer.name}"`);
        }
      }
    }
    for (const policy of project.policies) {
      const store = policy.value.spec.store;
      for (const field of ['url', 'nodes'] as const) {
        const value = store?.[field];
        if (typeof value === 'string' && URL_WITH_PASSWORD.test(value)) yield finding(policy, ['spec', 'store', field], `the store ${field} holds a password and`);
      }
    }
  },
};

import type { Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';

export const identityOptions: Rule = {
  id: 'identity-options',
  severity: 'error',
  description: 'identity.header goes with limitBy header; key-auth options need key-auth; anonymous callers need key-auth.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const { identity } = policy.value.spec;
      if (identity.limitBy === 'header' && identity.header === undefined) {
        yield { document: policy, path: ['spec', 'identity', 'limitBy'], message: 'limitBy header needs identity.header, the header that identifies the caller' };
      }
      if (identity.limitBy !== 'header' && identity.header !== undefined) {
        yield { document: policy, path: ['spec', 'identity', 'header'], at: 'key', message: `identity.header is only used with limitBy header (limitBy is ${identity.limitBy})` };
      }
      if (identity.auth === 'none') {
        for (const option of ['keyNames', 'hideCredentials', 'anonymous'] as const) {
          if (identity[option] !== undefined) yield { document: policy, path: ['spec', 'identity', option], at: 'key', message: `identity.${option} needs auth: key-auth` };
        }
      }
    }
  },
};

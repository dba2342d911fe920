import type { PathSegment } from '../diagnostics.js';
import type { Project } from '../load/load-project.js';
import { didYouMean } from '../load/suggest.js';
import type { Rule, RuleFinding } from './rule.js';

const VARIABLE = /\{\{\s*([^}]*?)\s*\}\}/g;
const SIMPLE = ['consumer', 'plan', 'route', 'credential', 'policy'];
const QUALIFIED = /^(header|query)\.[A-Za-z0-9._~-]+$/;

/** Every template value in a policy's rewrite section, with its path. */
function* templates(rewrite: Record<string, unknown> | undefined, base: readonly PathSegment[]): Iterable<[readonly PathSegment[], string]> {
  for (const [key, value] of Object.entries(rewrite ?? {})) {
    if (typeof value === 'string') yield [[...base, key], value];
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) yield* templates(value as Record<string, unknown>, [...base, key]);
  }
}

export const templateVariable: Rule = {
  id: 'template-variable',
  severity: 'error',
  description: 'Rewrite templates may use only {{consumer}}, {{plan}}, {{route}}, {{credential}}, {{policy}}, {{header.NAME}} and {{query.NAME}}.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const request = policy.value.spec.rewrite?.request;
      const writable = { headers: { add: request?.headers?.add, set: request?.headers?.set }, query: { add: request?.query?.add } };
      for (const [path, text] of templates(writable, ['spec', 'rewrite', 'request'])) {
        for (const match of text.matchAll(VARIABLE)) {
          const name = match[1] ?? '';
          if (SIMPLE.includes(name) || QUALIFIED.test(name)) continue;
          yield { document: policy, path, message: `unknown template variable {{${name}}}${didYouMean(name, SIMPLE)}` };
        }
        const unclosed = text.replace(VARIABLE, '');
        if (unclosed.includes('{{')) yield { document: policy, path, message: 'template has an unclosed {{' };
      }
    }
  },
};

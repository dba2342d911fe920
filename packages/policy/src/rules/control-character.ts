// Control characters (CR, LF, NUL, ESC, DEL, C1, U+2028/2029) have no place in a policy: the
// compiled gateway files carry names, paths and header values verbatim, so a CR LF in a header
// value becomes header injection at the gateway and a break in apisix.yaml. Every string and map
// key of every document is checked; compile refuses the same findings (controlCharacterDiagnostics).
import type { Diagnostic, PathSegment } from '../diagnostics.js';
import type { Located, Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';

 
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const ID = 'control-character';

function* walk(document: Located, value: unknown, path: PathSegment[]): Iterable<RuleFinding> {
  if (typeof value === 'string') {
    if (CONTROL.test(value)) yield finding(document, path, 'value', value);
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* walk(document, item, [...path, index]);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (CONTROL.test(key)) yield finding(document, [...path, key], 'key', key);
      yield* walk(document, item, [...path, key]);
    }
  }
}

function finding(document: Located, path: readonly PathSegment[], at: 'key' | 'value', text: string): RuleFinding {
  const code = CONTROL.exec(text)?.[0].charCodeAt(0) ?? 0;
  const character = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return { document, path, at, message: `the ${at === 'key' ? 'key' : 'text'} contains the control character ${character}: gateways would write it verbatim into names, paths, headers and their configuration files` };
}

export const controlCharacter: Rule = {
  id: ID,
  severity: 'error',
  description: 'Names, paths, header values and every other text must not contain control characters (CR, LF, NUL, ESC, DEL…).',
  *check(project: Project): Iterable<RuleFinding> {
    for (const document of [...project.policies, ...project.plans, ...project.consumers]) yield* walk(document, document.value, []);
  },
};

/** The rule's findings as diagnostics, for compile's own refusal. */
export function controlCharacterDiagnostics(project: Project): Diagnostic[] {
  return [...controlCharacter.check(project)].map((f) => f.document.diagnostic(f.path, ID, 'error', f.message, f.at));
}

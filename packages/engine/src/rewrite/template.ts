// Rewrite templates: `{{consumer}}`, `{{plan}}`, `{{route}}`, `{{credential}}`,
// `{{header.NAME}}`, `{{query.NAME}}`. Parsed once at config time into parts; rendering only
// concatenates. Substituted values never carry control characters (CR, LF, NUL, …), so a value a
// client controls can never split a header or add one.
import { first } from '../compile/identity.js';
import type { RequestFacts } from '../types.js';

export interface TemplateContext {
  readonly facts: RequestFacts;
  readonly consumer: string | undefined;
  readonly credential: string | undefined;
  readonly plan: string | undefined;
  readonly route: string | undefined;
}

type Part = string | ((context: TemplateContext) => string | undefined);

export interface Template {
  readonly source: string;
  render(context: TemplateContext, encode?: (value: string) => string): string;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
// Every control character except horizontal tab.
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f]/g;
const HAS_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const VARIABLES: Readonly<Record<string, (context: TemplateContext) => string | undefined>> = {
  consumer: (c) => c.consumer,
  credential: (c) => c.credential,
  plan: (c) => c.plan,
  route: (c) => c.route,
};

/** The variable names (consumer, header.X, query.X, …) of every placeholder in `text`: what a gateway adapter must fetch for the rewrite. */
export function templateVariables(text: string): ReadonlySet<string> {
  return new Set(Array.from(text.matchAll(PLACEHOLDER), (match) => match[1] ?? ''));
}

export type TemplateParse = { readonly ok: true; readonly template: Template } | { readonly ok: false; readonly error: string };

export function parseTemplate(source: string): TemplateParse {
  const parts: Part[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    const variable = variableOf(name);
    if (variable === undefined) return { ok: false, error: `unknown template variable {{${name}}} (use consumer, plan, route, credential, header.NAME or query.NAME)` };
    if (match.index > last) parts.push(source.slice(last, match.index));
    parts.push(variable);
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  if (HAS_CONTROL.test(source)) return { ok: false, error: 'template contains a control character' };
  return { ok: true, template: { source, render: (context, encode) => render(parts, context, encode) } };
}

function variableOf(name: string): ((context: TemplateContext) => string | undefined) | undefined {
  if (Object.hasOwn(VARIABLES, name)) return VARIABLES[name];
  const dot = name.indexOf('.');
  const scope = name.slice(0, dot);
  const key = name.slice(dot + 1);
  if (dot <= 0 || key === '') return undefined;
  if (scope === 'header') {
    const header = key.toLowerCase();
    return (c) => joined(c.facts.headers[header]);
  }
  if (scope === 'query') return (c) => first(c.facts.query[key]);
  return undefined;
}

function joined(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}

function render(parts: readonly Part[], context: TemplateContext, encode: ((value: string) => string) | undefined): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
    } else {
      const value = stripControls(part(context) ?? '');
      out += encode === undefined ? value : encode(value);
    }
  }
  return out;
}

/** Removes every control character except horizontal tab: what is left cannot end a header line. */
export function stripControls(value: string): string {
  return HAS_CONTROL.test(value) ? value.replace(CONTROLS, '') : value;
}

// A JSON body too large to be captured whole (the adapters keep its head and tail) can still report
// its usage: providers write the `usage` object last. This finds the last member named `key` in a
// piece of JSON text and parses its value alone. A key counts only where a member can start (after
// `{` or `,`): the same characters inside a string value are escaped (\"usage\"), so the text of a
// completion can never pose as its usage.
import { parseJson } from './json-fields.js';

/** The value of the last `"key": value` member in `text` whose value is complete there, else undefined. */
export function lastMember(text: string, key: string): unknown {
  const quoted = JSON.stringify(key);
  for (let at = text.lastIndexOf(quoted); at !== -1; at = at === 0 ? -1 : text.lastIndexOf(quoted, at - 1)) {
    if (!startsMember(text, at)) continue;
    const valueStart = skipSpace(text, at + quoted.length);
    if (text[valueStart] !== ':') continue;
    const start = skipSpace(text, valueStart + 1);
    const end = valueEnd(text, start);
    if (end === undefined) continue;
    const value = parseJson(text.slice(start, end));
    if (value !== undefined) return value;
  }
  return undefined;
}

function startsMember(text: string, quote: number): boolean {
  let i = quote - 1;
  while (i >= 0 && isSpace(text[i])) i--;
  return i >= 0 && (text[i] === '{' || text[i] === ',');
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text[i])) i++;
  return i;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n' || c === '\r' || c === '\t';
}

/** Where the JSON value starting at `start` ends (exclusive), or undefined when the text ends first. */
function valueEnd(text: string, start: number): number | undefined {
  const first = text[start];
  if (first === '{' || first === '[') return containerEnd(text, start);
  if (first === '"') return stringEnd(text, start);
  const scalar = /^(-?[0-9][0-9.eE+-]*|true|false|null)/.exec(text.slice(start, start + 40));
  if (scalar === null) return undefined;
  const end = start + scalar[0].length;
  // A number running into the end of the text may have been cut.
  return end < text.length ? end : undefined;
}

function containerEnd(text: string, start: number): number | undefined {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      if (end === undefined) return undefined;
      i = end - 1;
    } else if (c === '{' || c === '[') {
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

function stringEnd(text: string, start: number): number | undefined {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return undefined;
}

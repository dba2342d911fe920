// Where YAML problems are shown. The yaml library reports an unclosed quote where the file ends
// (the string ran to there) and an unresolved alias only as an exception from toJS, with no
// position: both point at the line the author has to fix instead.
import { Scalar, visit, type Document, type YAMLError } from 'yaml';

/** Offsets [start, end) of the text an error is about. */
export type Span = readonly [number, number];

/** An unclosed quote: at its opening quote; any other error where the library puts it. */
export function errorSpan(doc: Document, error: YAMLError): { readonly span: Span; readonly note?: string } {
  if (error.code !== 'MISSING_CHAR' || !error.message.includes('quote')) return { span: error.pos };
  let opened: number | undefined;
  visit(doc, {
    Scalar(_, node) {
      const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
      // The unclosed string is the quoted scalar that runs up to where the error was found.
      if (quoted && node.range !== undefined && node.range !== null && node.range[1] === error.pos[0]) opened = node.range[0];
    },
  });
  return opened === undefined ? { span: error.pos } : { span: [opened, opened + 1], note: 'the quoted string opened here never ends' };
}

/** Each alias whose anchor is not set before it, with its span and a message naming both. */
export function unresolvedAliases(doc: Document): { readonly span: Span; readonly message: string }[] {
  const found: { span: Span; message: string }[] = [];
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) !== undefined || alias.range === undefined || alias.range === null) return;
      found.push({ span: [alias.range[0], alias.range[1]], message: `Unresolved alias *${alias.source} (the anchor &${alias.source} must be set before the alias)` });
    },
  });
  return found;
}

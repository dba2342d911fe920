import { printable, start, type Formatter } from './formatter.js';

/** One line per finding, for grep and problem matchers: file:line:col severity rule "message". */
export const text: Formatter = (diagnostics) =>
  diagnostics
    .map((d) => {
      const { line, column } = start(d);
      return `${d.source}:${line}:${column} ${d.severity} ${d.code} ${JSON.stringify(printable(d.message))}\n`;
    })
    .join('');

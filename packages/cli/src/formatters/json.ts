import { severityRank } from '@tollgate/policy';
import { printable, type Formatter } from './formatter.js';

/** Spectral's JSON shape: 0-based LSP ranges and numeric severities, for machines. */
export const json: Formatter = (diagnostics) =>
  `${JSON.stringify(
    diagnostics.map((d) => ({ code: d.code, path: d.path, message: printable(d.message), severity: severityRank(d.severity), range: d.range, source: d.source })),
    null,
    2,
  )}\n`;

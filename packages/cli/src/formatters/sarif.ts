import { createHash } from 'node:crypto';
import type { Severity } from '@tollgate/policy';
import { end, printable, start, type Formatter } from './formatter.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warn: 'warning', info: 'note', hint: 'note' };

/** SARIF 2.1.0 for GitHub code scanning: stable rule ids, repository-relative URIs, fingerprints. */
export const sarif: Formatter = (diagnostics, { rules, toolVersion, repoPath }) => {
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const artifacts = [...new Set(diagnostics.map((d) => repoPath(d.source)))];
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'tollgate',
            version: toolVersion,
            informationUri: 'https://github.com/tollgate-dev/tollgate',
            rules: rules.map((r) => ({
              id: r.id,
              shortDescription: { text: r.description },
              defaultConfiguration: { level: LEVEL[r.severity] },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        artifacts: artifacts.map((uri) => ({ location: { uri }, sourceLanguage: 'YAML' })),
        results: diagnostics.map((d) => {
          const uri = repoPath(d.source);
          const from = start(d);
          const to = end(d);
          return {
            ruleId: d.code,
            ...(ruleIndex.has(d.code) ? { ruleIndex: ruleIndex.get(d.code) } : {}),
            level: LEVEL[d.severity],
            message: { text: printable(d.message) },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri, index: artifacts.indexOf(uri) },
                  region: { startLine: from.line, startColumn: from.column, endLine: to.line, endColumn: Math.max(to.column, to.line === from.line ? from.column + 1 : 1) },
                },
              },
            ],
            // Stable across edits that move lines: the same problem in the same place keeps its alert.
            partialFingerprints: { 'tollgate/v1': createHash('sha256').update([d.code, uri, d.path.join('/'), d.message].join('\u0000')).digest('hex') },
          };
        }),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
};

import { Ajv } from 'ajv';
import type { Diagnostic, RuleInfo } from '@tollgate/policy';
import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty, github } from './github.js';
import { json } from './json.js';
import { sarif } from './sarif.js';
import { stylish } from './stylish.js';
import { text } from './text.js';

const rules: RuleInfo[] = [
  { id: 'schema', severity: 'error', description: 'Values must match the schema.' },
  { id: 'route-overlap', severity: 'warn', description: 'Routes should not overlap.' },
];
const context = { rules, toolVersion: '0.1.0', repoPath: (s: string) => `repo/${s}` };

const at = (line: number, character: number, endCharacter: number) => ({ start: { line, character }, end: { line, character: endCharacter } });
const diagnostics: Diagnostic[] = [
  { code: 'schema', severity: 'error', message: '"minute" must be >= 1', path: ['spec', 'plans', 'free', 'rateLimit', 'minute'], source: 'policies/a.yaml', range: at(8, 16, 18) },
  { code: 'route-overlap', severity: 'warn', message: 'path /a overlaps /a', path: ['spec', 'routes', 0], source: 'policies/b.yaml', range: at(4, 2, 5) },
];

describe('stylish', () => {
  it('groups by file with 1-based positions and a summary', () => {
    expect(stylish(diagnostics, context)).toBe(
      [
        'policies/a.yaml',
        ' 9:17  error    schema         "minute" must be >= 1  spec.plans.free.rateLimit.minute',
        '',
        'policies/b.yaml',
        ' 5:3   warning  route-overlap  path /a overlaps /a    spec.routes.0',
        '',
        '✖ 2 problems (1 errors, 1 warnings, 0 infos, 0 hints)',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is nothing to report', () => {
    expect(stylish([], context)).toBe('No problems found.\n');
  });
});

describe('text and json', () => {
  it('text is one line per finding even when a message has a newline', () => {
    const multiline = { ...diagnostics[0]!, message: 'two\nlines' };
    expect(text([multiline], context)).toBe('policies/a.yaml:9:17 error schema "two lines"\n');
  });

  it('json keeps 0-based ranges and numeric severities, like Spectral', () => {
    const parsed = JSON.parse(json(diagnostics, context)) as { severity: number; range: unknown }[];
    expect(parsed.map((d) => d.severity)).toEqual([0, 1]);
    expect(parsed[0]?.range).toEqual(at(8, 16, 18));
  });
});

describe('sarif', () => {
  const log = JSON.parse(sarif(diagnostics, context)) as {
    version: string;
    runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; level: string; partialFingerprints: Record<string, string>; locations: { physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> } }[] }[] }[];
  };

  it('has the skeleton GitHub code scanning requires', () => {
    // The parts of SARIF 2.1.0 GitHub reads (docs: "SARIF support for code scanning").
    const required = {
      type: 'object',
      required: ['version', 'runs'],
      properties: {
        version: { const: '2.1.0' },
        runs: {
          type: 'array',
          items: {
            type: 'object',
            required: ['tool', 'results'],
            properties: {
              tool: { type: 'object', required: ['driver'], properties: { driver: { type: 'object', required: ['name', 'rules'] } } },
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['ruleId', 'message', 'locations', 'level'],
                  properties: {
                    level: { enum: ['error', 'warning', 'note', 'none'] },
                    message: { type: 'object', required: ['text'] },
                    locations: { type: 'array', minItems: 1, items: { type: 'object', required: ['physicalLocation'], properties: { physicalLocation: { type: 'object', required: ['artifactLocation', 'region'], properties: { region: { type: 'object', required: ['startLine'], properties: { startLine: { type: 'integer', minimum: 1 }, startColumn: { type: 'integer', minimum: 1 } } } } } } } },
                  },
                },
              },
            },
          },
        },
      },
    };
    const validate = new Ajv({ strict: false }).compile(required);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
  });

  it('lists every rule, indexes results into it and uses repository-relative URIs', () => {
    const run = log.runs[0]!;
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['schema', 'route-overlap']);
    expect(run.results.map((r) => [r.ruleId, r.ruleIndex, r.level])).toEqual([['schema', 0, 'error'], ['route-overlap', 1, 'warning']]);
    expect(run.results[0]?.locations[0]?.physicalLocation).toEqual({ artifactLocation: { uri: 'repo/policies/a.yaml', index: 0 }, region: { startLine: 9, startColumn: 17, endLine: 9, endColumn: 19 } });
  });

  it('fingerprints stay the same when the finding moves to another line', () => {
    const moved = { ...diagnostics[0]!, range: at(20, 16, 18) };
    const again = JSON.parse(sarif([moved], context)) as typeof log;
    expect(again.runs[0]?.results[0]?.partialFingerprints).toEqual(log.runs[0]?.results[0]?.partialFingerprints);
  });
});

describe('github annotations', () => {
  it('escapes data (% CR LF) and properties (also : and ,) as the actions toolkit does', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    expect(escapeProperty('a,b:c%\n')).toBe('a%2Cb%3Ac%25%0A');
  });

  it('writes one command per finding with escaped file names', () => {
    const odd = { ...diagnostics[0]!, source: 'x,y/t:1.yaml', message: '50% over\nlimit' };
    expect(github([odd], { ...context, repoPath: (s) => s }).split('\n')[0]).toBe('::error file=x%2Cy/t%3A1.yaml,line=9,endLine=9,col=17,endColumn=19,title=schema::50%25 over%0Alimit');
  });

  it('annotates at most 10 findings of each kind and lists them all in the log', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ ...diagnostics[0]!, range: at(i, 0, 1) }));
    const lines = github(many, context).trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('::error '))).toHaveLength(10);
    expect(lines.filter((l) => l.startsWith('::notice ')).join()).toContain('2 more findings are not annotated');
    expect(lines.filter((l) => l.startsWith('policies/a.yaml:'))).toHaveLength(12);
  });
});

describe('control characters in messages', () => {
  const hostile: Diagnostic[] = [
    { code: 'control-character', severity: 'error', message: 'value "a\u001b[31mred\r\n::error::forged\u009b2J\u2028x\u007f" is bad', path: ['spec', 'x\ny'], source: 'policies/a.yaml', range: at(1, 2, 3) },
  ];
  const formats = { stylish, text, json, sarif, github };

  it.each(Object.entries(formats))('%s escapes them: no control character reaches the output, no forged line', (_, format) => {
    const output = format(hostile, context);
     
    expect(output.replaceAll('\n', '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(output).not.toMatch(/^::error::forged/m);
    expect(output).toContain('\\u001b[31mred');
    expect(output).toContain('\\u009b2J');
  });
});

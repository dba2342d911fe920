import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '@tollgate/policy';
import type { FormatContext } from '../formatters/index.js';
import { TEST_FORMATTERS, type TestReport } from './index.js';

const context: FormatContext = { rules: [], toolVersion: '0.0.0', repoPath: (source) => `repo/${source}` };

const failure = (message: string, line: number): Diagnostic => ({
  code: 'scenario',
  severity: 'error',
  message,
  path: ['spec', 'scenarios', 0],
  source: 'p/a.scenarios.yaml',
  range: { start: { line, character: 4 }, end: { line, character: 9 } },
});

const report: TestReport = {
  results: [
    { source: 'p/a.scenarios.yaml', suite: 's', name: 'passes', durationMs: 1.5, failures: [] },
    { source: 'p/a.scenarios.yaml', suite: 's', name: 'a <b> & "c"\u001b[31m', durationMs: 2, failures: [failure('x & <y>', 3), failure('later\nline', 9)] },
  ],
  problems: [],
};

describe('tollgate test formatters', () => {
  it('JUnit escapes XML and control characters and counts tests and failures', () => {
    const xml = TEST_FORMATTERS.junit?.(report, context) ?? '';
    expect(xml).toContain('<testsuites name="tollgate test" tests="2" failures="1" errors="0">');
    expect(xml).toContain('name="a &lt;b&gt; &amp; &quot;c&quot;\\u001b[31m"');
    expect(xml).toContain('<failure message="later line" type="scenario">p/a.scenarios.yaml:10:5 later&#10;line</failure>');
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it('GitHub annotations are sorted by position, repository-relative, escaped as the lint formatter does', () => {
    const lines = (TEST_FORMATTERS.github?.(report, context) ?? '').split('\n');
    expect(lines[0]).toBe('::error file=repo/p/a.scenarios.yaml,line=4,endLine=4,col=5,endColumn=10,title=scenario::x & <y>');
    expect(lines[1]).toBe('::error file=repo/p/a.scenarios.yaml,line=10,endLine=10,col=5,endColumn=10,title=scenario::later%0Aline');
    expect(lines.at(-2)).toBe('::notice title=tollgate test::2 scenarios: 1 passed, 1 failed');
  });

  it('stylish lists each scenario with its failures on one line each', () => {
    expect(TEST_FORMATTERS.stylish?.(report, context)).toBe(
      ['p/a.scenarios.yaml', '  ✓ s › passes', '  ✖ s › a <b> & "c"\\u001b[31m', '      4:5  x & <y>', '      10:5  later line', '', '✖ 2 scenarios: 1 passed, 1 failed', ''].join('\n'),
    );
  });
});

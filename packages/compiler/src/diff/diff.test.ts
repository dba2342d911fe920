import { loadProject, type Project } from '@tollgate/policy';
import { describe, expect, test } from 'vitest';
import { DEFAULT_OPTIONS } from '../targets/target.js';
import { diffProjects } from './diff.js';
import { diffMarkdown, diffText } from './format.js';

const policy = (minute: number, routes: string): Project => {
  const text = `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: demo }
spec:
  service: { name: demo, url: "http://demo.internal" }
  routes: [${routes}]
  identity: { auth: none, limitBy: ip }
  plans: { everyone: { rateLimit: { minute: ${minute} } } }
  defaultPlan: everyone
`;
  return loadProject([{ path: 'p.yaml', bytes: new TextEncoder().encode(text) }]).project;
};

describe('diffProjects', () => {
  const base = policy(5, '{ name: a, paths: [/a] }');
  const head = policy(10, '{ name: a, paths: [/a] }, { name: b, paths: [/b|x] }');

  test('reports plan limits, added routes and changed plugins', () => {
    const result = diffProjects(base, head, 'kong', DEFAULT_OPTIONS);
    expect(result).toEqual({
      ok: true,
      plans: [{ policy: 'demo', plan: 'everyone', before: '5/minute', after: '10/minute' }],
      changes: [
        { kind: 'plugin', key: 'rate-limiting @ service demo', change: 'changed', summary: 'service demo' },
        { kind: 'route', key: 'b', change: 'added', summary: 'ANY /b|x' },
      ],
    });
  });

  test('no change, no rows', () => {
    expect(diffProjects(base, base, 'apisix', DEFAULT_OPTIONS)).toEqual({ ok: true, plans: [], changes: [] });
  });

  test('a side that does not compile is named', () => {
    const broken = loadProject([{ path: 'p.yaml', bytes: new TextEncoder().encode('apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: { name: x }\nspec:\n  routes: [{ name: r }]\n  identity: { auth: none, limitBy: ip }\n') }]).project;
    expect(diffProjects(base, broken, 'kong', DEFAULT_OPTIONS)).toMatchObject({ ok: false, side: 'head' });
  });

  test('formats escape Markdown table cells', () => {
    const result = diffProjects(base, head, 'kong', DEFAULT_OPTIONS);
    if (!result.ok) throw new Error('expected a diff');
    const report = { title: 'T', plans: result.plans, changes: result.changes };
    expect(diffText(report)).toContain('demo/everyone: 5/minute -> 10/minute');
    expect(diffMarkdown(report)).toContain('| demo | everyone | 5/minute | 10/minute |');
    expect(diffMarkdown(report)).toContain('- added `b` — ANY /b\\|x');
    expect(diffText({ title: 'T', plans: [], changes: [] })).toBe('T: no changes\n');
  });
});

// compile never writes a control character into a gateway file, even for a project lint was not
// run on: a CR LF in a header value or a path would reach apisix.yaml / kong.yaml verbatim.
import { loadProject } from '@tollgate/policy';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';

const POLICY = `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: p }
spec:
  routes: [{ name: r1, paths: ["/a\\nb"], methods: [GET] }]
  identity: { auth: key-auth, limitBy: consumer }
  rewrite: { request: { headers: { set: { X-Plan: "pro\\r\\nX-Admin: 1" } } } }
`;

describe('control characters', () => {
  it.each(['apisix', 'kong'] as const)('refuses to compile them for %s, saying where', (target) => {
    const { project } = loadProject([{ path: 'p.yaml', bytes: new TextEncoder().encode(POLICY) }]);
    const result = compile(project, target);
    expect(result.ok).toBe(false);
    const found = result.ok ? [] : result.diagnostics.filter((d) => d.code === 'control-character').map((d) => `${d.source}:${d.range.start.line + 1}:${d.range.start.character + 1}`);
    expect(found).toEqual(['p.yaml:5:32', 'p.yaml:7:51']);
  });
});

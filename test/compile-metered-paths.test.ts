// How the compiler lays out a policy whose routes read their cost from the response, per gateway
// path: on Kong's JavaScript plugin, a route metered by a header gets the log-phase plugin and a
// post-function on that route alone (Kong has no header_filter for plugin servers), a route metered
// by its body the response-phase plugin (buffered), a plain route the access-only plugin; on APISIX
// ext-plugin-post-resp only on the routes with work after the response; the Lua adapters need
// neither. --explain names each route's path and its cost.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, formatExplanations, type CompileOptions, type TargetName } from '../packages/compiler/src/index.js';
import { kongObservedHeaderKey } from '../packages/engine/src/index.js';
import { loadFolder } from '../packages/compiler/src/test-support/projects.js';

const POLICY = `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: metered-paths }
spec:
  service: { name: ai, url: "http://ai.internal:9000" }
  routes:
    - { name: priced, paths: [/v1/search] }
    - { name: chat, paths: [/v1/chat], methods: [POST] }
    - { name: plain, paths: [/v1/status] }
  identity: { auth: key-auth, limitBy: consumer }
  plans: { payg: { credits: true } }
  defaultPlan: payg
  costs:
    metered:
      priced: { estimate: 5, header: X-Cost-Units }
      chat: { estimate: { requestField: max_tokens, fallback: 10 }, usage: openai, prices: { "*": { input: 1, output: 2 } }, per: 1000 }
`;

const base: CompileOptions = { mode: 'full', kongEdition: 'oss', apisixFormat: 'standalone' };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'metered-paths-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface KongEntry {
  readonly name: string;
  readonly route?: string;
  readonly service?: string;
  readonly config: Record<string, unknown>;
}

function compiled(target: TargetName, options: CompileOptions): { doc: Record<string, unknown>; explain: string } {
  const result = compile(loadFolder(dir), target, options);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  const file = result.files.find((f) => f.name.endsWith('.yaml')) ?? result.files[0];
  return { doc: parse((file?.text ?? '').replace(/#END\s*$/, ''), { version: '1.1' }) as Record<string, unknown>, explain: formatExplanations(target, result.explanations) };
}

describe('Kong, JavaScript plugin', () => {
  it('gives each entry the plugin its route needs, and a post-function only on the route with a cost header', () => {
    const { doc } = compiled('kong', base);
    const plugins = (doc.plugins as KongEntry[]).filter((p) => p.name.startsWith('tollgate') || p.name === 'post-function');
    const where = (p: KongEntry) => p.route ?? `service ${p.service ?? ''}`;
    expect(plugins.map((p) => [p.name, where(p)])).toEqual([
      ['tollgate-charge-on-success', 'priced'],
      ['post-function', 'priced'],
      ['tollgate-x402', 'chat'],
      ['tollgate', 'plain'],
      ['tollgate-x402', 'service ai'],
    ]);
    const filter = String((plugins[1]?.config.header_filter as string[])[0]);
    expect(filter).toContain(`ctx[${JSON.stringify(kongObservedHeaderKey('x-cost-units'))}] = ngx.var["upstream_http_x_cost_units"]`);
    expect(filter).toContain('kong.response.clear_header("x-cost-units")');
  });

  it('explains each route\'s path and what it costs', () => {
    const { explain } = compiled('kong', base);
    expect(explain).toMatch(/route priced: log phase header: Kong's post-function keeps/);
    expect(explain).toMatch(/route chat: request body: read in access with get_raw_body.*; buffered response phase: the whole response is held before the client sees it/);
    expect(explain).toMatch(/route plain: access only/);
  });
});

describe('Kong, Lua adapter', () => {
  it('needs no post-function: its header_filter removes the cost header', () => {
    const { doc, explain } = compiled('kong', { ...base, kongPlugin: 'lua' });
    expect((doc.plugins as KongEntry[]).some((p) => p.name === 'post-function')).toBe(false);
    expect(explain).toMatch(/route chat: request body: read in the gateway .*; Lua body_filter: keeps a copy of the first 16 KiB and the last 48 KiB/);
    expect(explain).toMatch(/route priced: Lua header_filter/);
  });
});

describe('APISIX, ext-plugin runner', () => {
  it('adds ext-plugin-post-resp only to the routes with work after the response', () => {
    const { doc, explain } = compiled('apisix', base);
    const routes = doc.routes as { id: string; plugins?: Record<string, unknown> }[];
    expect(Object.fromEntries(routes.map((r) => [r.id, 'ext-plugin-post-resp' in (r.plugins ?? {})]))).toEqual({ priced: true, chat: true, plain: false });
    expect(explain).toMatch(/route chat: request body: asked from APISIX with ExtraInfo ReqBody.*; post-resp body: the runner asks for the response body \(ExtraInfo RespBody\)/);
    expect(explain).toMatch(/route priced: post-resp: ext-plugin-post-resp hands the runner/);
  });
});

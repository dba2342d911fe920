// `--kong-plugin lua` and `--apisix-plugin lua`: every Tollgate entry the default output has moves to
// the native Lua adapter with the very same policy (identical semantics: the sidecar runs that
// engine configuration), except for policies with an x402 offer, which keep the buffering plugins;
// --explain says which path each policy takes and why.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadProject } from '../packages/policy/src/index.js';
import { describe, expect, it } from 'vitest';
import { APISIX_LUA_PLUGIN, compile, formatExplanations, KONG_LUA_PLUGIN, LUA_DEFAULT_TIMEOUT_MS, TOLLGATE_PLUGINS, type CompileOptions, type TargetName } from '../packages/compiler/src/index.js';
import { examples, loadFolder, REPO } from '../packages/compiler/src/test-support/projects.js';
import { X402_NEEDS_BUFFERING } from '../packages/sidecar/src/index.js';

const base: CompileOptions = { mode: 'full', kongEdition: 'oss', apisixFormat: 'standalone' };

interface Entry {
  readonly plugin: string;
  readonly policy: string;
  /** The policy route the entry is pinned to, if any. */
  readonly route?: string;
  /** The Lua adapter's wait for the sidecar (ms), when the entry sets it. */
  readonly timeout?: number;
}

/** Every Tollgate entry of a compiled file: Kong plugin entries and APISIX route/service plugins. */
function entries(node: unknown, target: TargetName): Entry[] {
  if (Array.isArray(node)) return node.flatMap((n) => entries(n, target));
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  const config = record.config as { policy?: unknown; route?: string; timeout?: number } | undefined;
  if (target === 'kong' && typeof record.name === 'string' && TOLLGATE_PLUGINS.has(record.name) && typeof config?.policy === 'string') return [{ plugin: record.name, policy: config.policy, route: config.route, timeout: config.timeout }];
  if (target === 'apisix' && typeof record.plugins === 'object' && record.plugins !== null) {
    const found: Entry[] = [];
    for (const [plugin, conf] of Object.entries(record.plugins as Record<string, Record<string, unknown>>)) {
      if (plugin === APISIX_LUA_PLUGIN && typeof conf.policy === 'string') found.push({ plugin, policy: conf.policy, route: conf.route as string | undefined, timeout: conf.timeout as number | undefined });
      const ext = conf.conf as { name: string; value: string }[] | undefined;
      const valueOf = (name: string) => ext?.find((e) => e.name === name)?.value;
      const policy = valueOf('tollgate');
      if (plugin === 'ext-plugin-post-req' && policy !== undefined) found.push({ plugin, policy, route: valueOf('tollgate-route') });
    }
    return [...found, ...Object.entries(record).filter(([k]) => k !== 'plugins').flatMap(([, v]) => entries(v, target))];
  }
  return Object.values(record).flatMap((v) => entries(v, target));
}

function compiled(dir: string, target: TargetName, options: CompileOptions, project = loadFolder(dir)): { entries: Entry[]; explain: string; text: string } {
  const result = compile(project, target, options);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  const text = result.files.map((f) => f.text).join('\n');
  return { entries: result.files.flatMap((f) => entries(parse(f.text, { version: '1.1' }), target)), explain: formatExplanations(target, result.explanations), text };
}

const cases = [
  { target: 'kong' as const, options: { ...base, kongPlugin: 'lua' as const }, lua: KONG_LUA_PLUGIN },
  { target: 'apisix' as const, options: { ...base, apisixPlugin: 'lua' as const }, lua: APISIX_LUA_PLUGIN },
];

describe.each(cases)('$target with the Lua adapter', ({ target, options, lua }) => {
  it.each(examples().map((e) => [e.name, e.dir] as const))('%s: the same policies, on the Lua adapter unless they settle x402', (_name, dir) => {
    const before = compiled(dir, target, base);
    const after = compiled(dir, target, options);
    expect(after.entries.map((e) => e.policy)).toEqual(before.entries.map((e) => e.policy));
    expect(after.entries.map((e) => e.route)).toEqual(before.entries.map((e) => e.route));
    for (const [i, entry] of after.entries.entries()) {
      const x402 = (JSON.parse(entry.policy) as { payment?: { x402?: unknown } }).payment?.x402 !== undefined;
      expect(entry.plugin, entry.policy.slice(0, 80)).toBe(x402 ? before.entries[i]?.plugin : lua);
    }
    if (after.entries.some((e) => e.plugin === lua)) expect(after.explain).toContain(`plugin ${lua}`);
    if (after.entries.some((e) => e.plugin !== lua)) expect(after.explain).toMatch(/Lua adapter not used.*x402/);
    // Work after the response is the log phase's: no ext-plugin-post-resp for Lua-adapter policies.
    if (target === 'apisix' && after.entries.every((e) => e.plugin === lua)) expect(after.text).not.toContain('ext-plugin-post-resp');
  });

  it("waits out the store's timeout: an entry sets timeout only where the schema default is too short", () => {
    const weather = join(REPO, 'policies/weather-api');
    expect(compiled(weather, target, options).entries.map((e) => e.timeout)).not.toContain(expect.any(Number));
    const text = readFileSync(join(weather, 'policy.yaml'), 'utf8');
    expect(text).toContain('timeoutMs: 50 }');
    const { project } = loadProject([{ path: 'policies/weather-api/policy.yaml', bytes: Buffer.from(text.replace('timeoutMs: 50 }', 'timeoutMs: 2000 }')) }]);
    const slow = compiled(weather, target, options, project).entries;
    expect(slow.length).toBeGreaterThan(0);
    for (const entry of slow) expect(entry.timeout).toBe(2000 + 500);
  });

  it('the examples exercise both paths', () => {
    const plugins = examples().flatMap((e) => compiled(e.dir, target, options).entries.map((entry) => entry.plugin));
    expect(plugins).toContain(lua);
    expect(plugins.some((p) => p !== lua)).toBe(true);
  });
});

it("LUA_DEFAULT_TIMEOUT_MS is both adapters' schema default", () => {
  const kong = readFileSync(join(REPO, 'packages/lua-adapters/kong/plugins/tollgate-lua/schema.lua'), 'utf8');
  const apisix = readFileSync(join(REPO, 'packages/lua-adapters/apisix/plugins/tollgate.lua'), 'utf8');
  expect(Number(/\{ timeout = \{[^}]*default = (\d+)/.exec(kong)?.[1])).toBe(LUA_DEFAULT_TIMEOUT_MS);
  expect(Number(/\n\s+timeout = \{[^}]*default = (\d+)/.exec(apisix)?.[1])).toBe(LUA_DEFAULT_TIMEOUT_MS);
});

it('the sidecar refuses what the compiler keeps off the Lua adapters, in the same terms', () => {
  expect(X402_NEEDS_BUFFERING).toMatch(/x402.*buffered response/);
});

// The contract between compiler and engine: every Tollgate plugin entry the compiler emits, on
// both gateways, carries a configuration the engine's own parser accepts.
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { compile, TOLLGATE_PLUGINS } from '../packages/compiler/src/index.js';
import { parseEngineConfig } from '../packages/engine/src/index.js';
import { examples, loadFolder, VARIANTS } from '../packages/compiler/src/test-support/projects.js';

/** Every Tollgate config string in a compiled file, wherever the target puts it. */
function tollgateConfigs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(tollgateConfigs);
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  if (record.name === 'tollgate' && typeof record.value === 'string') return [record.value];
  if (typeof record.name === 'string' && TOLLGATE_PLUGINS.has(record.name) && typeof record.config === 'object' && record.config !== null) return [String((record.config as { policy: unknown }).policy)];
  return Object.values(record).flatMap(tollgateConfigs);
}

describe.each(VARIANTS)('$name', (variant) => {
  test.each(examples())('$name', (example) => {
    const result = compile(loadFolder(example.dir), variant.target, variant.options);
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    for (const file of result.files) {
      for (const config of tollgateConfigs(parse(file.text, { version: '1.1' }))) {
        const parsed = parseEngineConfig(config);
        expect(parsed.ok ? [] : parsed.errors).toEqual([]);
      }
    }
  });
});

test('the examples exercise the Tollgate entry on both gateways', () => {
  const count = (target: 'kong' | 'apisix') =>
    examples().reduce((n, e) => {
      const result = compile(loadFolder(e.dir), target);
      return n + (result.ok ? result.files.flatMap((f) => tollgateConfigs(parse(f.text, { version: '1.1' }))).length : 0);
    }, 0);
  expect(count('kong')).toBeGreaterThan(0);
  expect(count('apisix')).toBeGreaterThan(0);
});

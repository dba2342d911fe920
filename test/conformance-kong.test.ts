// Kong output against decK's own JSON Schema (draft-04, the schema decK runs on every file), the
// Kong docs-site plugin schemas for 3.9 and 3.15 (field names and types), the compiler's strict
// plugin checks (which must reject what Kong rejects), and Debian's decK binary when installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { compile } from '../packages/compiler/src/index.js';
import type { KongDocument, KongPlugin } from '../packages/compiler/src/targets/kong/model.js';
import { validateKong } from '../packages/compiler/src/targets/kong/validate.js';
import { examples, loadFolder, REPO, VARIANTS } from '../packages/compiler/src/test-support/projects.js';

const CONFORMANCE = join(REPO, 'packages/compiler/conformance');
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(join(CONFORMANCE, path), 'utf8')) as Record<string, unknown>;

// ajv-draft-04 is CommonJS: its class is the default export's `default`.
const AjvDraft04 = AjvDraft04Module.default;
const deckSchema = new AjvDraft04({ strict: false, allErrors: true }).compile(readJson('deck-kong_json_schema.json'));
const DOCS_FILES: Record<string, string> = { 'rate-limiting': 'RateLimiting', 'key-auth': 'KeyAuth', 'request-transformer': 'RequestTransformer' };
const docsAjv = new Ajv({ strict: false, allErrors: true });

interface DocsRecord {
  properties?: Record<string, DocsRecord>;
}

/** Keys of `value` the docs schema does not name, nested records included (rate-limiting's redis). */
function unknownKeys(value: unknown, schema: DocsRecord, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !schema.properties) return [];
  const { properties } = schema;
  return Object.entries(value).flatMap(([key, child]) => {
    const field = properties[key];
    return field ? unknownKeys(child, field, `${path}${key}.`) : [`${path}${key}`];
  });
}

const docsSchemas = Object.fromEntries(
  ['3.9', '3.15'].flatMap((version) =>
    Object.entries(DOCS_FILES).map(([plugin, file]) => {
      const schema = readJson(`kong-plugin-schemas/${version}/${file}.json`) as { properties: { config: DocsRecord } };
      return [`${version}/${plugin}`, { validate: docsAjv.compile(schema.properties.config), schema: schema.properties.config }];
    }),
  ),
);

const kongVariants = VARIANTS.filter((v) => v.target === 'kong');
const outputs = kongVariants.flatMap((variant) =>
  examples().map((example) => {
    const result = compile(loadFolder(example.dir), 'kong', variant.options);
    if (!result.ok) throw new Error(`${variant.name}/${example.name} does not compile: ${JSON.stringify(result.diagnostics)}`);
    const text = result.files[0]?.text ?? '';
    return { name: `${variant.name}/${example.name}`, variant, text, doc: parse(text, { version: '1.1' }) as KongDocument };
  }),
);

describe.each(outputs)('$name', ({ text, doc, variant }) => {
  test("passes decK's JSON Schema, read as YAML 1.1", () => {
    expect(deckSchema(doc), JSON.stringify(deckSchema.errors)).toBe(true);
    expect(text.startsWith('_format_version: "3.0"\n')).toBe(true);
  });

  test('native plugin configs use only fields of the Kong 3.9 and 3.15 schemas, with their types', () => {
    for (const plugin of doc.plugins ?? []) {
      if (!(plugin.name in DOCS_FILES)) continue;
      for (const version of ['3.9', '3.15']) {
        const { validate, schema } = docsSchemas[`${version}/${plugin.name}`]!;
        expect(unknownKeys(plugin.config, schema, '')).toEqual([]);
        expect(validate(plugin.config), JSON.stringify(validate.errors)).toBe(true);
      }
    }
  });

  test("passes the compiler's strict plugin and reference checks", () => {
    expect(validateKong(doc, variant.options.kongEdition, variant.options.mode)).toEqual([]);
  });

  test('Kong OSS output uses no Enterprise-only entity', () => {
    if (variant.options.kongEdition !== 'oss') return;
    expect(doc.consumer_groups).toBeUndefined();
    expect((doc.plugins ?? []).filter((p) => p.consumer_group !== undefined)).toEqual([]);
  });
});

describe('strict plugin checks reject what Kong rejects', () => {
  const base = (config: Record<string, unknown>, extra: Partial<KongPlugin> = {}): KongDocument => ({
    _format_version: '3.0',
    services: [{ name: 's', url: 'http://s.internal', routes: [], tags: ['tollgate'] }],
    plugins: [{ name: 'rate-limiting', service: 's', config, tags: ['tollgate'], ...extra }],
  });
  test.each([
    ['a zero limit', { minute: 0, policy: 'local' }, /minute: must be greater than 0/],
    ['an unknown field', { minute: 5, bogus: 1 }, /bogus: unknown field/],
    ['no period', { policy: 'local' }, /at least one of/],
    ['an hour limit below the minute limit', { minute: 10, hour: 5 }, /hour: lower than minute/],
    ['limit_by header without header_name', { minute: 5, limit_by: 'header' }, /header_name: required/],
    ['the Enterprise limit_by on OSS', { minute: 5, limit_by: 'consumer-group' }, /limit_by: must be one of/],
    ['the cluster policy', { minute: 5, policy: 'cluster' }, /policy: must be one of/],
    ['sync_rate without redis', { minute: 5, sync_rate: 1 }, /sync_rate: only with policy redis/],
    ['policy redis without a redis host', { minute: 5, policy: 'redis', redis: { port: 6379, timeout: 50 } }, /redis\.host: required when policy is redis/],
    ['an unknown redis field', { minute: 5, policy: 'redis', redis: { host: 'r.internal', port: 6379, timeout: 50, cluster: true } }, /redis\.cluster: unknown field/],
  ])('%s', (_what, config, message) => {
    expect(validateKong(base(config), 'oss', 'full').join('\n')).toMatch(message);
  });

  test('consumer-group scope and key-auth on a consumer', () => {
    const doc = base({ minute: 5 }, { consumer_group: 'gold' });
    expect(validateKong(doc, 'oss', 'full').join('\n')).toMatch(/consumer_group scope needs Kong Enterprise/);
    const keyAuth: KongDocument = { ...doc, consumers: [{ username: 'a', tags: [] }], plugins: [{ name: 'key-auth', service: 's', consumer: 'a', config: {}, tags: [] }] };
    expect(validateKong(keyAuth, 'oss', 'full').join('\n')).toMatch(/does not allow key-auth on a consumer/);
  });

  test('dangling references and duplicates', () => {
    const doc = base({ minute: 5 }, { service: 'missing' });
    doc.plugins?.push({ name: 'rate-limiting', service: 'missing', config: { minute: 5 }, tags: [] });
    const problems = validateKong(doc, 'oss', 'full').join('\n');
    expect(problems).toMatch(/service "missing" is not in the file/);
    expect(problems).toMatch(/a second rate-limiting plugin on the same scope/);
  });

  test('request-transformer entries need a header name and a value', () => {
    const doc = base({}, { name: 'request-transformer', config: { add: { headers: ['X-A:'] }, rename: { headers: ['X-A'] } } });
    const problems = validateKong(doc, 'oss', 'full').join('\n');
    expect(problems).toMatch(/"X-A:" must match/);
    expect(problems).toMatch(/"X-A" must match/);
  });
});

// Debian's decK 1.4.0 predates consumer groups: it checks the OSS output only.
const deck = ['/usr/bin/deck', '/usr/local/bin/deck'].find((p) => existsSync(p));
describe.skipIf(!deck && !process.env.CI)(`deck validate (${deck ?? 'decK not installed: apt-get install deck'})`, () => {
  test.each(outputs.filter((o) => o.variant.name === 'kong'))('$name', ({ text }) => {
    expect(deck, 'CI must install decK (apt-get install deck)').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-deck-'));
    try {
      const file = join(dir, 'kong.yaml');
      writeFileSync(file, text);
      const run = spawnSync(deck!, ['validate', '-s', file], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, HOME: dir } });
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

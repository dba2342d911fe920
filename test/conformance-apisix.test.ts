// APISIX output against APISIX's own schemas (3.14.1 and 3.18.0: services with their inline
// upstreams, routes, consumers and every plugin config, with no keys the plugin does not know), the
// standalone loader's rules (#END, unique ids, resolving references), and ADC output against ADC's
// JSON Schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { compile } from '../packages/compiler/src/index.js';
import type { AdcDocument, PluginMap, StandaloneDocument } from '../packages/compiler/src/targets/apisix/model.js';
import { examples, loadFolder, REPO, VARIANTS } from '../packages/compiler/src/test-support/projects.js';

const CONFORMANCE = join(REPO, 'packages/compiler/conformance');
const readJson = (file: string): unknown => JSON.parse(readFileSync(join(CONFORMANCE, file), 'utf8'));

/** lua-cjson writes some numbers as strings ("minLength": "1"); JSON Schema wants numbers. */
function normalise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalise);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, /^(min|max)(Length|Items|imum|Properties)$/.test(k) && typeof v === 'string' ? Number(v) : normalise(v)]),
  );
}

/** A plugin schema: its properties, and more in if/then/else branches (limit-count's redis_* fields). */
interface PluginSchema {
  properties?: Record<string, unknown>;
  if?: object;
  then?: PluginSchema;
  else?: PluginSchema;
}

interface Dump {
  main: Record<string, Record<string, unknown>>;
  plugins: Record<string, { schema: PluginSchema & { properties: Record<string, unknown> }; consumer_schema?: Record<string, unknown> }>;
}

interface Checkers {
  service: ValidateFunction;
  route: ValidateFunction;
  consumer: ValidateFunction;
  plugin: (name: string) => { validate: ValidateFunction; fields: (conf: object) => string[] };
  consumerPlugin: (name: string) => ValidateFunction;
}

/** ext-plugin-post-req and -post-resp share ext-plugin-pre-req's schema (ext.schema in ext-plugin/init.lua). */
const SCHEMA_OF: Record<string, string> = { 'ext-plugin-post-req': 'ext-plugin-pre-req', 'ext-plugin-post-resp': 'ext-plugin-pre-req' };

function checkers(version: string): Checkers {
  const dump = normalise(readJson(`apisix-${version}-selected-schemas.json`)) as Dump;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const meta = (dump.main.plugin_injected_schema as { _meta: unknown })._meta;
  const plugins = new Map<string, { validate: ValidateFunction; fields: (conf: object) => string[] }>();
  /** The fields the schema defines for this conf: its properties plus those of the if/then/else branches the conf takes. */
  const fieldsOf = (schema: PluginSchema | undefined, conf: object): string[] => {
    if (!schema) return [];
    const branch = schema.if === undefined ? undefined : ajv.validate(schema.if, conf) ? schema.then : schema.else;
    return [...Object.keys(schema.properties ?? {}), ...fieldsOf(branch, conf)];
  };
  return {
    service: ajv.compile(dump.main.service!),
    route: ajv.compile(dump.main.route!),
    consumer: ajv.compile(dump.main.consumer!),
    plugin(name) {
      const source = dump.plugins[SCHEMA_OF[name] ?? name];
      if (!source) throw new Error(`no APISIX ${version} schema for plugin ${name}`);
      const cached = plugins.get(name) ?? {
        validate: ajv.compile({ ...source.schema, properties: { ...source.schema.properties, _meta: meta } }),
        fields: (conf: object) => fieldsOf(source.schema, conf),
      };
      plugins.set(name, cached);
      return cached;
    },
    consumerPlugin(name) {
      return ajv.compile(dump.plugins[name]!.consumer_schema!);
    },
  };
}

const VERSIONS = ['3.14.1', '3.18.0'].map((version) => ({ version, check: checkers(version) }));

function expectValid(validate: ValidateFunction, value: unknown, what: string): void {
  expect(validate(value), `${what}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

function expectPlugins(check: Checkers, plugins: PluginMap, what: string): void {
  for (const [name, conf] of Object.entries(plugins)) {
    const { validate, fields } = check.plugin(name);
    expectValid(validate, conf, `${what} ${name}`);
    const known = fields(conf);
    expect(Object.keys(conf).filter((k) => !known.includes(k)), `${what} ${name}: unknown keys`).toEqual([]);
  }
}

function compiled(variantName: string): { name: string; text: string }[] {
  const variant = VARIANTS.find((v) => v.name === variantName)!;
  return examples().map((example) => {
    const result = compile(loadFolder(example.dir), 'apisix', variant.options);
    if (!result.ok) throw new Error(`${example.name} does not compile: ${JSON.stringify(result.diagnostics)}`);
    return { name: example.name, text: result.files[0]?.text ?? '' };
  });
}

describe.each(compiled('apisix'))('standalone $name', ({ text }) => {
  const doc = parse(text, { version: '1.1' }) as StandaloneDocument;

  test('ends with #END, as the standalone loader requires', () => {
    expect(text.slice(-10)).toMatch(/#END\s*$/);
  });

  test.each(VERSIONS)('services, routes, consumers and plugins pass APISIX $version schemas', ({ check }) => {
    for (const service of doc.services) {
      expectValid(check.service, service, `service ${String(service.id)}`);
      expectPlugins(check, service.plugins ?? {}, `service ${String(service.id)}`);
    }
    for (const route of doc.routes) {
      expectValid(check.route, route, `route ${String(route.id)}`);
      expectPlugins(check, route.plugins ?? {}, `route ${String(route.id)}`);
    }
    for (const consumer of doc.consumers ?? []) {
      expectValid(check.consumer, consumer, `consumer ${consumer.username}`);
      const keyAuth = consumer.plugins?.['key-auth'];
      if (keyAuth) expectValid(check.consumerPlugin('key-auth'), keyAuth, `consumer ${consumer.username} key-auth`);
    }
  });

  test('limit-count always names its policy', () => {
    // Redis fields are required by an if/then that a missing policy satisfies: always emit it.
    for (const plugins of [...doc.services, ...doc.routes].map((e) => e.plugins ?? {})) {
      if (plugins['limit-count']) expect(plugins['limit-count'].policy).toBeDefined();
    }
  });

  test('ids are unique and every route names an existing service', () => {
    const routeIds = doc.routes.map((r) => r.id);
    const serviceIds = doc.services.map((s) => s.id);
    expect(new Set(routeIds).size).toBe(routeIds.length);
    expect(new Set(serviceIds).size).toBe(serviceIds.length);
    for (const route of doc.routes) expect(serviceIds).toContain(route.service_id);
  });

  test('shared plugins sit on the service once, not on its routes', () => {
    for (const service of doc.services) {
      const routes = doc.routes.filter((r) => r.service_id === service.id);
      for (const name of Object.keys(service.plugins ?? {})) for (const route of routes) expect(route.plugins?.[name], `${name} on route ${String(route.id)}`).toBeUndefined();
      // What every route carries with the same conf belongs on the service.
      const [first, ...rest] = routes.map((r) => r.plugins ?? {});
      for (const [name, conf] of Object.entries(first ?? {})) {
        expect(rest.every((p) => JSON.stringify(p[name]) === JSON.stringify(conf)), `${name} is the same on every route of ${String(service.id)}`).toBe(false);
      }
    }
  });
});

const adcAjv = new Ajv2020({ strict: false, allErrors: true });
// ajv-formats is CommonJS: the plugin is the default export's `default`.
addFormatsModule.default(adcAjv);
adcAjv.addFormat('cidrv4', /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/);
adcAjv.addFormat('cidrv6', /^[0-9a-fA-F:]+\/\d{1,3}$/);
const adcSchema = adcAjv.compile(readJson('adc-schema.json') as object);

describe.each(compiled('apisix-adc'))('ADC $name', ({ text }) => {
  const doc = parse(text, { version: '1.1' }) as AdcDocument;

  test("passes ADC's JSON Schema", () => {
    expectValid(adcSchema, doc, 'adc file');
  });

  test.each(VERSIONS)('plugin configs pass APISIX $version schemas', ({ check }) => {
    for (const service of doc.services) {
      expectPlugins(check, service.plugins ?? {}, `service ${service.name}`);
      for (const route of service.routes) expectPlugins(check, route.plugins ?? {}, `route ${route.name}`);
    }
    for (const consumer of doc.consumers ?? []) {
      for (const credential of consumer.credentials ?? []) expectValid(check.consumerPlugin('key-auth'), credential.config, `credential ${credential.name}`);
    }
  });
});

describe('the checks can fail', () => {
  const check = VERSIONS[0]!.check;
  test('limit-count without policy fails the if/then redis rule; unknown keys are caught', () => {
    const limitCount = check.plugin('limit-count');
    expect(limitCount.validate({ count: 1, time_window: 1, key: 'remote_addr' })).toBe(false);
    // redis_* fields are known only on the redis branch.
    expect(limitCount.fields({ policy: 'redis' })).toContain('redis_host');
    expect(limitCount.fields({ policy: 'local' })).not.toContain('redis_host');
    expect(check.route({ id: 'r', uri: '/x', upstream_id: 'u', bogus: 1 })).toBe(false);
    expect(check.service({ id: 's', upstream: { type: 'roundrobin', nodes: [{ host: 'h', port: 1, weight: 1 }], name: 'named' } })).toBe(true);
    expect(check.service({ id: 's', upstream: { type: 'roundrobin', nodes: [{ host: 'h', port: 1, weight: 1 }], bogus: 1 } })).toBe(false);
    expect(adcSchema({ services: [{ routes: [{ name: 'r' }] }] })).toBe(false);
  });
});

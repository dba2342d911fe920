import type { Diagnostic, NativeRedis } from '@tollgate/policy';
import type { EngineConfig } from '../../engine-config.js';
import { APISIX_CONSUMER_KEYS, APISIX_KEY_NAMES, APISIX_NAME, APISIX_NATIVE_REDIS } from '../../codes.js';
import type { ProjectIr } from '../../ir/types.js';
import { gatewayCounters, limitShape } from '../../native/rate-limits.js';
import { toGatewayYaml } from '../../yaml-out.js';
import { outputProblem } from '../kong/index.js';
import type { CompileOptions, InventoryItem, Target, TargetOutput } from '../target.js';
import { emitAdc, emitStandalone, standaloneText } from './emit.js';
import { limitCountBlockers, lowerPolicy, type ApisixLowered } from './lower.js';
import type { PluginMap } from './model.js';
import type { UnsupportedRedisSetting } from './native-plugins.js';
import { APISIX_ID, APISIX_USERNAME, validateAdc, validateStandalone } from './validate.js';

export const STANDALONE_FILE = 'apisix.yaml';
export const ADC_FILE = 'adc.yaml';

export const apisix: Target = {
  name: 'apisix',
  check: checkApisix,
  compile(ir: ProjectIr, options: CompileOptions): TargetOutput {
    const lowered = ir.policies.map((p) => lowerPolicy(p, options));
    const diagnostics = lowered.flatMap((l) => l.diagnostics);
    const explanations = lowered.map((l) => l.explanation);
    const inventory = apisixInventory(lowered);
    const file = options.apisixFormat === 'adc' ? ADC_FILE : STANDALONE_FILE;
    if (options.apisixFormat === 'standalone') diagnostics.push(...multiKeyConsumers(ir));
    if (diagnostics.length > 0) return { files: [], explanations, inventory, diagnostics };
    let text: string;
    let problems: string[];
    if (options.apisixFormat === 'adc') {
      const doc = emitAdc(ir, lowered);
      text = toGatewayYaml(doc);
      problems = validateAdc(doc);
    } else {
      const doc = emitStandalone(ir, lowered);
      text = standaloneText(doc);
      problems = validateStandalone(doc, text);
    }
    if (problems.length > 0) return { files: [], explanations, inventory, diagnostics: problems.map((p) => outputProblem(p, file)) };
    return { files: [{ name: file, text }], explanations, inventory, diagnostics: [] };
  },
};

/** Names APISIX uses as ids or usernames, identity settings APISIX's key-auth cannot express, Redis settings limit-count cannot. */
function checkApisix(ir: ProjectIr): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const { document, config, nativeRedis } of ir.policies) {
    const { spec } = document.value;
    const name = (path: (string | number)[], value: string): void => {
      if (!APISIX_ID.test(value)) diagnostics.push(document.diagnostic(path, APISIX_NAME, 'error', `APISIX ids allow letters, digits, ".", "-" and "_" (at most 64): "${value}" cannot be one`));
    };
    if (spec.service) name(['spec', 'service', 'name'], spec.service.name);
    spec.routes.forEach((r, i) => {
      name(['spec', 'routes', i, 'name'], r.name);
    });
    if ((spec.identity.keyNames?.length ?? 0) > 1) {
      diagnostics.push(document.diagnostic(['spec', 'identity', 'keyNames'], APISIX_KEY_NAMES, 'error', 'APISIX key-auth reads one header name: list a single key name'));
    }
    for (const { field, reason } of settingsKeepingLimits(config, nativeRedis)) {
      diagnostics.push(document.diagnostic(['spec', 'store', 'native', field], APISIX_NATIVE_REDIS, 'warn', `${reason}: on APISIX the policy's rate limits stay in Tollgate`, 'key'));
    }
  }
  for (const c of ir.consumers) {
    if (!APISIX_USERNAME.test(c.name)) {
      diagnostics.push(c.document.diagnostic([...c.path, 'name'], APISIX_NAME, 'error', `APISIX usernames allow letters, digits, "-" and "_": "${c.name}" cannot be one`));
    }
  }
  return diagnostics;
}

/**
 * The store.native settings limit-count lacks, when they alone keep the policy's rate limits in
 * Tollgate: none for a policy without rate limits, or whose limits stay there anyway.
 */
function settingsKeepingLimits(config: EngineConfig, nativeRedis: NativeRedis | undefined): UnsupportedRedisSetting[] {
  const shape = limitShape(config);
  if (shape.kind === 'none') return [];
  const { others, unsupported } = limitCountBlockers(config, shape, gatewayCounters(config, nativeRedis));
  return others.length === 0 ? unsupported : [];
}

function multiKeyConsumers(ir: ProjectIr): Diagnostic[] {
  return ir.consumers
    .filter((c) => c.keys.length > 1)
    .map((c) =>
      c.document.diagnostic([...c.path, 'credentials', 'keyAuth'], APISIX_CONSUMER_KEYS, 'error', 'a standalone apisix.yaml consumer holds one key-auth key: keep one, or compile with --apisix-format adc'),
    );
}

function apisixInventory(lowered: readonly ApisixLowered[]): InventoryItem[] {
  const items: InventoryItem[] = [];
  const pluginItems = (plugins: PluginMap | undefined, scope: string): void => {
    for (const [name, conf] of Object.entries(plugins ?? {})) items.push({ kind: 'plugin', key: `${name} @ ${scope}`, summary: scope, body: conf });
  };
  for (const { service, routes } of lowered) {
    if (service) {
      const { plugins, ...rest } = service;
      items.push({ kind: 'service', key: service.name, summary: service.upstream.nodes.map((n) => `${service.upstream.scheme}://${n.host}:${n.port}`).join(' '), body: rest });
      pluginItems(plugins, `service ${service.name}`);
    }
    for (const route of routes) {
      const { plugins, ...rest } = route;
      items.push({ kind: 'route', key: route.name, summary: `${(route.methods ?? ['ANY']).join(',')} ${route.uris.join(' ')}`, body: rest });
      pluginItems(plugins, `route ${route.name}`);
    }
  }
  return items;
}

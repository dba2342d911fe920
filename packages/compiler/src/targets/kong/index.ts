import { START_OF_FILE, type Diagnostic } from '@tollgate/policy';
import { OUTPUT_INVALID } from '../../codes.js';
import type { ProjectIr } from '../../ir/types.js';
import { toGatewayYaml } from '../../yaml-out.js';
import type { CompileOptions, InventoryItem, Target, TargetOutput } from '../target.js';
import { emitKong } from './emit.js';
import { lowerPolicy } from './lower.js';
import type { KongDocument } from './model.js';
import { validateKong } from './validate.js';

export const KONG_FILE = 'kong.yaml';

export const kong: Target = {
  name: 'kong',
  check(): Diagnostic[] {
    // Everything the policy language accepts has a Kong form; mode problems are compile-time only.
    return [];
  },
  compile(ir: ProjectIr, options: CompileOptions): TargetOutput {
    const lowered = ir.policies.map((p) => lowerPolicy(p, options));
    const diagnostics = lowered.flatMap((l) => l.diagnostics);
    const doc = emitKong(ir, lowered, options);
    const problems = diagnostics.length > 0 ? [] : validateKong(doc, options.kongEdition, options.mode);
    for (const problem of problems) diagnostics.push(outputProblem(problem));
    return {
      files: diagnostics.length > 0 ? [] : [{ name: KONG_FILE, text: toGatewayYaml(doc) }],
      explanations: lowered.map((l) => l.explanation),
      inventory: kongInventory(doc),
      diagnostics,
    };
  },
};

export function outputProblem(problem: string, file = KONG_FILE): Diagnostic {
  return { code: OUTPUT_INVALID, severity: 'error', message: `generated ${file} is invalid (a Tollgate bug, please report it): ${problem}`, path: [], source: file, range: START_OF_FILE };
}

function kongInventory(doc: KongDocument): InventoryItem[] {
  const items: InventoryItem[] = [];
  for (const { routes, ...service } of doc.services ?? []) {
    items.push({ kind: 'service', key: service.name, summary: service.url, body: service });
    for (const route of routes) {
      items.push({ kind: 'route', key: route.name, summary: `${(route.methods ?? ['ANY']).join(',')} ${route.paths.join(' ')}${route.hosts ? ` on ${route.hosts.join(',')}` : ''}`, body: route });
    }
  }
  for (const c of doc.consumers ?? []) items.push({ kind: 'consumer', key: c.username, summary: c.username, body: c });
  for (const g of doc.consumer_groups ?? []) items.push({ kind: 'consumer_group', key: g.name, summary: g.name, body: g });
  for (const p of doc.plugins ?? []) {
    const scope = [p.service && `service ${p.service}`, p.route && `route ${p.route}`, p.consumer && `consumer ${p.consumer}`, p.consumer_group && `group ${p.consumer_group}`]
      .filter(Boolean)
      .join(', ');
    items.push({ kind: 'plugin', key: `${p.name} @ ${scope || 'global'}`, summary: scope, body: p.config });
  }
  return items;
}

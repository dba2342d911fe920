// Assembles the lowered policies into one decK file.
import type { ProjectIr } from '../../ir/types.js';
import { deckEnvTemplate } from '../../secrets.js';
import type { CompileOptions } from '../target.js';
import type { KongLowered } from './lower.js';
import { ANONYMOUS_CONSUMER, SELECT_TAG, type KongConsumer, type KongDocument } from './model.js';

export function emitKong(ir: ProjectIr, lowered: readonly KongLowered[], options: CompileOptions): KongDocument {
  const groups = new Set(lowered.flatMap((l) => l.groups));
  const tags = [SELECT_TAG];
  const consumers: KongConsumer[] = ir.consumers.map((c) => ({
    username: c.name,
    ...(c.customId === undefined ? {} : { custom_id: c.customId }),
    ...(c.keys.length === 0 ? {} : { keyauth_credentials: c.keys.map((key) => ({ key: deckEnvTemplate(key) })) }),
    ...(c.plan !== undefined && groups.has(c.plan) ? { groups: [{ name: c.plan }] } : {}),
    tags,
  }));
  if (lowered.some((l) => l.usesAnonymous)) consumers.push({ username: ANONYMOUS_CONSUMER, tags });
  consumers.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));

  const services = lowered.flatMap((l) => (l.service ? [l.service] : []));
  const plugins = lowered.flatMap((l) => l.plugins);
  const doc: KongDocument = { _format_version: '3.0' };
  // Overlay files are merged into a file that owns the gateway; select_tags there would scope the whole merge.
  if (options.mode === 'full') doc._info = { select_tags: [SELECT_TAG] };
  if (services.length > 0) doc.services = services;
  if (consumers.length > 0) doc.consumers = consumers;
  if (groups.size > 0) doc.consumer_groups = [...groups].sort().map((name) => ({ name, tags }));
  if (plugins.length > 0) doc.plugins = plugins;
  return doc;
}

// Assembles the lowered policies into a standalone apisix.yaml or an ADC file.
import type { ConsumerIr, ProjectIr } from '../../ir/types.js';
import { apisixEnvRef } from '../../secrets.js';
import { toGatewayYaml } from '../../yaml-out.js';
import type { ApisixLowered } from './lower.js';
import { ANONYMOUS_CONSUMER, END_MARKER, MANAGED_LABELS, type AdcDocument, type AdcService, type ApisixConsumer, type StandaloneDocument } from './model.js';
import { omit } from '../../omit.js';

function anonymousConsumer(lowered: readonly ApisixLowered[]): ApisixConsumer[] {
  return lowered.some((l) => l.usesAnonymous) ? [{ username: ANONYMOUS_CONSUMER, labels: MANAGED_LABELS }] : [];
}

const byUsername = (a: ApisixConsumer, b: ApisixConsumer): number => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0);

export function emitStandalone(ir: ProjectIr, lowered: readonly ApisixLowered[]): StandaloneDocument {
  // A standalone consumer carries one key-auth key (the compiler refuses more; see index.ts).
  const consumers = ir.consumers.map(
    (c: ConsumerIr): ApisixConsumer => ({
      username: c.name,
      ...(c.keys[0] ? { plugins: { 'key-auth': { key: apisixEnvRef(c.keys[0]) } } } : {}),
      labels: MANAGED_LABELS,
    }),
  );
  consumers.push(...anonymousConsumer(lowered));
  const doc: StandaloneDocument = {
    services: lowered.flatMap((l) => (l.service ? [l.service] : [])),
    routes: lowered.flatMap((l) => l.routes),
  };
  if (consumers.length > 0) doc.consumers = consumers.sort(byUsername);
  return doc;
}

export function standaloneText(doc: StandaloneDocument): string {
  return `${toGatewayYaml(doc)}${END_MARKER}\n`;
}

/** ADC derives ids from names (sha1 of service, service.route, …), so none are emitted. */
export function emitAdc(ir: ProjectIr, lowered: readonly ApisixLowered[]): AdcDocument {
  const services = lowered.flatMap((l): AdcService[] => {
    if (!l.service) return [];
    // Routes nest in their service: no id, no service_id; the service's labels cover them.
    const routes = l.routes.map((route) => omit(route, 'id', 'service_id', 'labels'));
    return [{ ...omit(l.service, 'id'), routes }];
  });
  const consumers = ir.consumers.map(
    (c: ConsumerIr): ApisixConsumer => ({
      username: c.name,
      ...(c.keys.length === 0
        ? {}
        : { credentials: c.keys.map((key, i) => ({ name: `key-${i + 1}`, type: 'key-auth' as const, config: { key: apisixEnvRef(key) } })) }),
      labels: MANAGED_LABELS,
    }),
  );
  consumers.push(...anonymousConsumer(lowered));
  const doc: AdcDocument = { services };
  if (consumers.length > 0) doc.consumers = consumers.sort(byUsername);
  return doc;
}

import type { Diagnostic, EnvRef, Project } from '@tollgate/policy';
import { INLINE_SECRET, INVALID_URL } from '../codes.js';
import { buildEngineConfig } from './engine-config.js';
import type { ConsumerIr, PolicyIr, ProjectIr, Upstream } from './types.js';

export interface IrResult {
  readonly ir: ProjectIr;
  readonly diagnostics: readonly Diagnostic[];
}

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Resolves a lint-clean project into what the targets lower. Pure. */
export function buildIr(project: Project): IrResult {
  const diagnostics: Diagnostic[] = [];
  const consumers: ConsumerIr[] = [];
  for (const document of project.consumers) {
    for (const [index, consumer] of document.value.spec.consumers.entries()) {
      const path = ['spec', 'consumers', index];
      const keys: EnvRef[] = [];
      for (const [k, key] of (consumer.credentials?.keyAuth ?? []).entries()) {
        if (typeof key === 'string') {
          diagnostics.push(
            document.diagnostic([...path, 'credentials', 'keyAuth', k], INLINE_SECRET, 'error', 'gateway files take keys as environment references only: write { env: NAME }'),
          );
        } else {
          keys.push(key);
        }
      }
      consumers.push({
        name: consumer.name,
        ...(consumer.customId === undefined ? {} : { customId: consumer.customId }),
        ...(consumer.plan === undefined ? {} : { plan: consumer.plan }),
        keys,
        document,
        path,
      });
    }
  }
  consumers.sort(byName);
  const policies: PolicyIr[] = project.policies.map((document) => {
    const { service, store } = document.value.spec;
    const url = service?.url;
    const upstream = url === undefined ? undefined : parseUpstream(url);
    if (url !== undefined && !upstream) {
      diagnostics.push(document.diagnostic(['spec', 'service', 'url'], INVALID_URL, 'error', `"${url}" is not a URL a gateway can proxy to`));
    }
    return {
      name: document.value.metadata.name,
      document,
      config: buildEngineConfig(project, document, consumers),
      ...(upstream ? { upstream } : {}),
      ...(store?.native ? { nativeRedis: store.native } : {}),
    };
  });
  policies.sort(byName);
  return { ir: { policies, consumers }, diagnostics };
}

function parseUpstream(url: string): Upstream | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.hostname === '' || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '') return undefined;
  const scheme = parsed.protocol === 'https:' ? 'https' : 'http';
  const port = parsed.port === '' ? (scheme === 'https' ? 443 : 80) : Number(parsed.port);
  const path = parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/$/, '');
  return { scheme, host: parsed.hostname, port, path, url };
}

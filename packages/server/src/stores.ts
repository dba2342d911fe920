// Which shared stores (redis, redis-cluster) a policy project's accounts live in, for servers
// that run apart from the gateways. A memory store lives inside each gateway process and can't be
// reached from here: policies using one are reported, not silently served.
import { resolveStoreSettings, STORE_FACTORIES, storeIdentity, type Store, type StoreSettings } from '@tollgate/engine';
import type { Project, Store as StoreBlock } from '@tollgate/policy';

export type ProjectStores =
  | { readonly ok: true; readonly settings: readonly StoreSettings[]; readonly memoryPolicies: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** The distinct shared stores of the project's policies (or only those named in `only`). */
export function sharedStoresOf(project: Project, env: Readonly<Record<string, string | undefined>>, timeoutMs: number, only: readonly string[] = []): ProjectStores {
  const errors: string[] = [];
  const names = project.policies.map((p) => p.value.metadata.name);
  for (const name of only) if (!names.includes(name)) errors.push(`no valid policy named "${name}" (policies found: ${names.join(', ') || 'none'})`);
  const settings = new Map<string, StoreSettings>();
  const memoryPolicies: string[] = [];
  for (const policy of project.policies) {
    const name = policy.value.metadata.name;
    if (only.length > 0 && !only.includes(name)) continue;
    const block: StoreBlock = policy.value.spec.store ?? { kind: 'memory' };
    if (block.kind === 'memory') {
      memoryPolicies.push(name);
      continue;
    }
    const resolved = resolveStoreSettings(block, env, timeoutMs);
    if (!resolved.ok) errors.push(...resolved.errors.map((e) => `policy ${name}: ${e}`));
    else settings.set(storeIdentity(resolved.settings), resolved.settings);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, settings: [...settings.values()], memoryPolicies };
}

/** Opens one store per settings entry; throws if this build lacks a store kind. */
export function openStores(settings: readonly StoreSettings[]): Store[] {
  return settings.map((s) => {
    const factory = STORE_FACTORIES[s.kind];
    if (factory === undefined) throw new Error(`the ${s.kind} store is not available in this build`);
    return factory(s);
  });
}

// Which Store implementation serves which `store.kind`, and how a config's store settings are
// resolved (env references) into the connection settings stores are created and shared by.
import type { EnvRef } from '@tollgate/policy/schema';
import type { EngineConfig } from '../config/engine-config.js';
import { createMemoryStore } from './memory/memory-store.js';
import { createRedisStore } from './redis/redis-store.js';
import type { Store } from './store.js';

export type StoreKind = EngineConfig['store']['kind'];

export interface StoreSettings {
  readonly kind: StoreKind;
  /** redis: connection URL, secrets resolved. */
  readonly url?: string;
  /** redis-cluster: `host:port` seed nodes. */
  readonly nodes?: readonly string[];
  readonly keyPrefix: string;
  readonly timeoutMs: number;
}

export const DEFAULT_KEY_PREFIX = 'tollgate';

export type StoreFactory = (settings: StoreSettings) => Store;

/** The Redis engineer registers `redis` and `redis-cluster` here. */
export const STORE_FACTORIES: Readonly<Partial<Record<StoreKind, StoreFactory>>> = {
  memory: () => createMemoryStore(),
  redis: (settings) => createRedisStore(settings),
  'redis-cluster': (settings) => createRedisStore(settings),
};

export type SettingsResolve = { readonly ok: true; readonly settings: StoreSettings } | { readonly ok: false; readonly errors: readonly string[] };

export function resolveStoreSettings(store: EngineConfig['store'], env: Readonly<Record<string, string | undefined>>, timeoutMs: number): SettingsResolve {
  const errors: string[] = [];
  const secret = (field: string, value: EnvRef | string | undefined): string | undefined => {
    if (value === undefined || typeof value === 'string') return value;
    const resolved = env[value.env];
    if (resolved === undefined || resolved === '') errors.push(`/store/${field}: environment variable ${value.env} is not set`);
    return resolved;
  };
  const url = secret('url', store.url);
  const nodes = secret('nodes', store.nodes)
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (store.kind !== 'memory' && STORE_FACTORIES[store.kind] === undefined) errors.push(`/store/kind: the ${store.kind} store is not available in this build`);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    settings: {
      kind: store.kind,
      ...(url === undefined ? {} : { url }),
      ...(nodes === undefined ? {} : { nodes }),
      keyPrefix: store.keyPrefix ?? DEFAULT_KEY_PREFIX,
      timeoutMs,
    },
  };
}

/** Configs with equal settings share one store (one connection pool, one memory map). */
export function storeIdentity(settings: StoreSettings): string {
  return JSON.stringify([settings.kind, settings.url ?? '', settings.nodes ?? [], settings.keyPrefix]);
}

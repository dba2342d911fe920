// What both gateway adapters start: one runtime per plugin-server / runner process. It checks each
// config once (cached by its JSON text), shares stores between configs with the same store
// settings, and hands out engines. It also owns the process's operations side (decision log,
// metrics endpoint, facilitator timeouts and headers; see ops/operations.ts), configured from the
// environment the adapter passes. Adapters only translate requests and decisions.
import { clockFromEnv, type Clock } from './clock.js';
import { parseEngineConfig } from './config/parse-engine-config.js';
import type { GatewayRouter } from './compile/route-matcher.js';
import { createEngine, DEFAULT_TIMEOUT_MS, type EngineCompile } from './engine.js';
import { operationsFromEnv, startOperations, type Operations } from './ops/operations.js';
import { resolveStoreSettings, STORE_FACTORIES, storeIdentity } from './store/factories.js';
import type { Store } from './store/store.js';

export interface RuntimeOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The gateway router the engine matches as, for entries not pinned to a route. */
  readonly router: GatewayRouter;
  /** Default: the system clock, or the TEST-ONLY clock file named by TOLLGATE_TEST_CLOCK_FILE. */
  readonly clock?: Clock;
  /** How many distinct configs stay compiled. Default 256. */
  readonly maxEngines?: number;
  /** Where operational problems (metrics port taken, …) are reported. Default stderr, never stdout. */
  readonly onError?: (message: string) => void;
}

export interface Runtime {
  /**
   * The engine for one plugin config (a JSON string of EngineConfig, or the parsed value), or every
   * problem with it. `router`: the gateway router to match as, when this adapter serves several
   * gateways (the sidecar); default the runtime's.
   */
  engineFor(config: unknown, router?: GatewayRouter): EngineCompile;
  /** The port of GET /metrics and /healthz once listening (TOLLGATE_METRICS_PORT), else undefined. */
  readonly metricsPort: Promise<number | undefined>;
  /** Closes every store (connections, timers), the decision log and the metrics endpoint. */
  close(): Promise<void>;
}

/** Throws OperationsConfigError (every problem listed) when the operations environment is invalid. */
export function createRuntime(options: RuntimeOptions): Runtime {
  const settings = operationsFromEnv(options.env);
  const operations: Operations = startOperations(settings, options.onError ?? ((message) => process.stderr.write(`${message}\n`)));
  const engineOptions = { observer: operations.observer, facilitatorTimeouts: settings.facilitatorTimeouts, facilitatorHeaders: settings.facilitatorHeaders, cdpAuth: settings.cdpAuth };
  const clock = options.clock ?? clockFromEnv(options.env);
  const maxEngines = options.maxEngines ?? 256;
  const engines = new Map<string, EngineCompile>();
  const stores = new Map<string, Store>();

  const compile = (input: unknown, router: GatewayRouter): EngineCompile => {
    const parsed = parseEngineConfig(input);
    if (!parsed.ok) return parsed;
    const { config } = parsed;
    const resolved = resolveStoreSettings(config.store, options.env, config.store.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (!resolved.ok) return resolved;
    const id = storeIdentity(resolved.settings);
    let store = stores.get(id);
    if (store === undefined) {
      const factory = STORE_FACTORIES[resolved.settings.kind];
      if (factory === undefined) return { ok: false, errors: [`/store/kind: the ${resolved.settings.kind} store is not available in this build`] };
      store = factory(resolved.settings);
      stores.set(id, store);
    }
    return createEngine(config, store, clock, { ...engineOptions, router });
  };

  return {
    engineFor(config, router = options.router) {
      if (typeof config !== 'string') return compile(config, router);
      const key = router === options.router ? config : `${router}\u0000${config}`;
      const cached = engines.get(key);
      if (cached !== undefined) return cached;
      const compiled = compile(config, router);
      if (engines.size >= maxEngines) engines.delete(engines.keys().next().value as string);
      engines.set(key, compiled);
      return compiled;
    },
    metricsPort: operations.metricsPort,
    async close() {
      engines.clear();
      const closing = [...stores.values()].map((s) => s.close());
      stores.clear();
      await Promise.all([...closing, operations.close()]);
    },
  };
}

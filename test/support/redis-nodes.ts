// Two gateway nodes on one real Redis: two engines compiled from the same config, each with its own
// connection, for the tests that race admissions and completions across nodes
// (test/engine-redis-metered.test.ts, test/engine-redis-charge-on-success.test.ts).
import { Redis } from 'ioredis';
import { createEngine, type Clock, type Engine, type EngineConfig, type Store } from '../../packages/engine/src/index.js';
import { createRedisStore } from '../../packages/engine/src/store/redis/redis-store.js';
import { RedisServer } from './redis.js';
import { useStarted } from './use-started.js';

const TIMEOUT_MS = 10_000;

export class TwoRedisNodes {
  private readonly stores: Store[] = [];
  private nodes: readonly Engine[] = [];

  private constructor(
    readonly server: RedisServer,
    /** Straight to the server: for flushing and reading what the nodes wrote. */
    readonly admin: Redis,
  ) {}

  static async start(config: EngineConfig, clock: Clock): Promise<TwoRedisNodes> {
    const server = await RedisServer.start();
    const redis = new TwoRedisNodes(server, new Redis(server.url));
    redis.nodes = [0, 1].map(() => {
      const compiled = createEngine(config, redis.store(), clock);
      if (!compiled.ok) throw new Error(compiled.errors.join('; '));
      return compiled.engine;
    });
    return redis;
  }

  /** The engine of node `i % 2`: consecutive calls alternate between the nodes. */
  node(i: number): Engine {
    return this.nodes[i % 2] as Engine;
  }

  /** Every node, in order. */
  all(): readonly Engine[] {
    return this.nodes;
  }

  /** A store of its own on the same server (closed with the nodes), e.g. for funding accounts. */
  store(): Store {
    const store = createRedisStore({ kind: 'redis', url: this.server.url, keyPrefix: 'tollgate', timeoutMs: TIMEOUT_MS });
    this.stores.push(store);
    return store;
  }

  async close(): Promise<void> {
    await Promise.all(this.stores.map((store) => store.close()));
    await this.admin.quit();
    await this.server.close();
  }
}

/** Two nodes for the calling `describe`: started in its `beforeAll`, stopped in its `afterAll`. */
export function useTwoRedisNodes(config: EngineConfig, clock: Clock): { readonly current: TwoRedisNodes } {
  return useStarted('the Redis nodes', () => TwoRedisNodes.start(config, clock));
}

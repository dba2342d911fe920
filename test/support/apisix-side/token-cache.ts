// APISIX's two conf-token caches: a per-worker LRU (8 entries, 3600 s, keyed without the conf
// version so that a config change misses) in front of the `ext-plugin` shared dict (full key,
// 3240 s), with the global `prepare_conf` lock around PrepareConf.

export const LRU_TTL_MS = 3_600_000;
export const SHARED_DICT_TTL_MS = 3_240_000;
const LRU_CAPACITY = 8;

interface Cached {
  readonly version: string;
  readonly token: number;
  readonly expiresAt: number;
}

export class TokenCache {
  private lru = new Map<string, Cached>();
  private readonly shared = new Map<string, { token: number; expiresAt: number }>();
  private lock: Promise<unknown> = Promise.resolve();

  constructor(private readonly now: () => number = Date.now) {}

  /** LRU lookup by `<type>#<id>#<plugin>` and version. */
  lruGet(id: string, version: string): number | undefined {
    const hit = this.lru.get(id);
    if (hit === undefined || hit.version !== version || hit.expiresAt <= this.now()) return undefined;
    this.lru.delete(id);
    this.lru.set(id, hit);
    return hit.token;
  }

  lruSet(id: string, version: string, token: number): void {
    this.lru.delete(id);
    this.lru.set(id, { version, token, expiresAt: this.now() + LRU_TTL_MS });
    const oldest = this.lru.keys().next();
    if (this.lru.size > LRU_CAPACITY && oldest.done !== true) this.lru.delete(oldest.value);
  }

  sharedGet(key: string): number | undefined {
    const hit = this.shared.get(key);
    return hit !== undefined && hit.expiresAt > this.now() ? hit.token : undefined;
  }

  sharedSet(key: string, token: number): void {
    this.shared.set(key, { token, expiresAt: this.now() + SHARED_DICT_TTL_MS });
  }

  /** What APISIX does on "conf token not found" and when the runner exits: forget every token. */
  flush(): void {
    this.shared.clear();
    this.lru = new Map();
  }

  /** Runs `task` under the global prepare_conf lock. */
  withLock<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task, task);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

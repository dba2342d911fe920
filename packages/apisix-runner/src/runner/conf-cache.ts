// Prepared confs by token. APISIX caches a token for 3600 s (3240 s in its shared dict) and is
// never told when a conf goes away, so entries here live longer than APISIX's copy (× 1.2, as the
// Go runner does) and expiry is the only cleanup. The same idempotent key gets the same token back,
// which keeps APISIX's workers and a restarted APISIX lock-step with one prepared conf.

interface Entry<C> {
  readonly token: number;
  readonly key: string;
  readonly conf: C;
  expiresAt: number;
}

export const TTL_FACTOR = 1.2;

export class ConfCache<C> {
  // Insertion order is expiry order: every (re)store moves the entry to the end.
  private readonly byToken = new Map<number, Entry<C>>();
  private readonly byKey = new Map<string, Entry<C>>();
  private lastToken = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.byToken.size;
  }

  /** Stores the conf prepared for `key` and returns its token (the key's previous token when known). */
  store(key: string, conf: C): number {
    this.evictExpired();
    const previous = key === '' ? undefined : this.byKey.get(key);
    const token = previous?.token ?? this.nextToken();
    const entry: Entry<C> = { token, key, conf, expiresAt: this.now() + this.ttlMs };
    this.byToken.delete(token);
    this.byToken.set(token, entry);
    if (key !== '') this.byKey.set(key, entry);
    return token;
  }

  get(token: number): C | undefined {
    const entry = this.byToken.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(entry);
      return undefined;
    }
    return entry.conf;
  }

  private evictExpired(): void {
    const now = this.now();
    for (const entry of this.byToken.values()) {
      if (entry.expiresAt > now) break;
      this.remove(entry);
    }
  }

  private remove(entry: Entry<C>): void {
    this.byToken.delete(entry.token);
    if (this.byKey.get(entry.key) === entry) this.byKey.delete(entry.key);
  }

  /** Tokens start at 1: 0 is the FlatBuffers default and would vanish from the wire. */
  private nextToken(): number {
    do {
      this.lastToken = this.lastToken >= 0xff_ff_ff_ff ? 1 : this.lastToken + 1;
    } while (this.byToken.has(this.lastToken));
    return this.lastToken;
  }
}

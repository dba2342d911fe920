// The usage outbox of one Redis store (standalone or Cluster), as a shipper reads it: every
// account's stream `<prefix>{<account>}:u` (engine store README, "Usage outbox"), read through the
// consumer group USAGE_GROUP so that several shippers share the entries and never read one twice
// at once. Streams are found by SCAN (TYPE stream) on every master, a stream's group is created at
// its first entry (id 0: nothing appended before the group is missed), entries a dead shipper read
// are taken over with XAUTOCLAIM once idle, and an entry leaves (XACK and XDEL in one MULTI: the
// void script never sees it acknowledged but still there) only once the billing system took it.
import { Cluster, Redis } from 'ioredis';
import { USAGE_GROUP, USAGE_SUFFIX, type StoreSettings, type UsageEntry } from '@tollgate/engine';

export interface OutboxEntry extends UsageEntry {
  readonly stream: string;
  readonly account: string;
}

/** Deletes a stream once it is empty (an account's next charge creates it anew); atomic with the appends. */
const DROP_IF_EMPTY = `if redis.call('XLEN', KEYS[1]) == 0 then return redis.call('DEL', KEYS[1]) end return 0`;
/** KEYS stream, dead-letter stream; ARGV group, entry id, the dead letter's fields. */
const MOVE_TO_DEAD_LETTERS = `redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if redis.call('XDEL', KEYS[1], ARGV[2]) == 1 then redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3)) end`;
const DEAD_SUFFIX = ':dead';
const SCAN_COUNT = 1000;

type RawEntry = [id: string, fields: string[] | null];

export class RedisOutbox {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;
  readonly #consumer: string;
  readonly #claimIdleMs: number;
  /** Streams whose group this shipper created or found (one XGROUP CREATE per stream, not per read). */
  readonly #grouped = new Set<string>();

  constructor(settings: StoreSettings, consumer: string, claimIdleMs: number) {
    this.#client =
      settings.kind === 'redis-cluster'
        ? new Cluster((settings.nodes ?? []).map((node) => ({ host: node.slice(0, node.lastIndexOf(':')), port: Number(node.slice(node.lastIndexOf(':') + 1)) })))
        : new Redis(settings.url ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
    this.#prefix = settings.keyPrefix;
    this.#consumer = consumer;
    this.#claimIdleMs = claimIdleMs;
  }

  get label(): string {
    return this.#client instanceof Cluster ? 'redis-cluster' : 'redis';
  }

  /** Every account stream, from every master. */
  async streams(): Promise<string[]> {
    if (this.#client instanceof Redis && this.#client.status === 'wait') await this.#client.connect();
    const masters = this.#client instanceof Cluster ? this.#client.nodes('master') : [this.#client];
    const pattern = `${this.#prefix}{*}:${USAGE_SUFFIX}`;
    const found: string[] = [];
    for (const master of masters) {
      let cursor = '0';
      do {
        const [next, keys] = await master.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT, 'TYPE', 'stream');
        found.push(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    return found;
  }

  /**
   * Up to `count` entries for this consumer: first the idle ones a dead shipper left (claimed),
   * then its own pending ones (not acknowledged yet: a failed send), then new ones. Entries deleted
   * meanwhile (voided before shipping) are acknowledged here and never returned.
   */
  async read(stream: string, count: number): Promise<OutboxEntry[]> {
    await this.#ensureGroup(stream);
    try {
      await this.#client.xautoclaim(stream, USAGE_GROUP, this.#consumer, this.#claimIdleMs, '0-0', 'COUNT', count);
      const own = await this.#readGroup(stream, count, '0');
      const fresh = own.length < count ? await this.#readGroup(stream, count - own.length, '>') : [];
      const all = [...own, ...fresh];
      const deleted = all.filter(([, fields]) => fields === null).map(([id]) => id);
      if (deleted.length > 0) await this.#client.xack(stream, USAGE_GROUP, ...deleted);
      return all.flatMap(([id, fields]) => (fields === null ? [] : [this.#entry(stream, id, fields)]));
    } catch (error) {
      // The stream was dropped (drained) and created anew since: its group comes back at the next read.
      if (!(error instanceof Error && error.message.startsWith('NOGROUP'))) throw error;
      this.#grouped.delete(stream);
      return [];
    }
  }

  /** The billing system took these: they leave the outbox. */
  async acknowledge(stream: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#client.multi().xack(stream, USAGE_GROUP, ...ids).xdel(stream, ...ids).exec();
  }

  /**
   * The billing system refused these for good: each moves to `<stream>:dead` with the reason, once
   * (only while it is still in the stream: a shipper that took it over may refuse it too).
   */
  async deadLetter(stream: string, entries: readonly { readonly entry: OutboxEntry; readonly reason: string }[]): Promise<void> {
    for (const { entry, reason } of entries) {
      const fields = ['entry', entry.entryId, 'p', entry.policy, 'o', entry.overage, 'c', entry.credits, 'k', entry.key, ...(entry.voids === undefined ? [] : ['v', entry.voids]), 'reason', reason];
      await this.#client.eval(MOVE_TO_DEAD_LETTERS, 2, stream, `${stream}${DEAD_SUFFIX}`, USAGE_GROUP, entry.entryId, ...fields);
    }
  }

  /** Entries not shipped yet in these streams (read or not). */
  async waiting(streams: readonly string[]): Promise<number> {
    let total = 0;
    for (const stream of streams) total += await this.#client.xlen(stream);
    return total;
  }

  /** Deletes the stream when it is empty, so that discovery and reads skip accounts with nothing to ship. */
  async dropIfEmpty(stream: string): Promise<void> {
    if ((await this.#client.eval(DROP_IF_EMPTY, 1, stream)) === 1) this.#grouped.delete(stream);
  }

  async close(): Promise<void> {
    this.#client.disconnect();
    return Promise.resolve();
  }

  async #ensureGroup(stream: string): Promise<void> {
    if (this.#grouped.has(stream)) return;
    try {
      await this.#client.xgroup('CREATE', stream, USAGE_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
    this.#grouped.add(stream);
  }

  async #readGroup(stream: string, count: number, from: '0' | '>'): Promise<RawEntry[]> {
    const reply = (await this.#client.xreadgroup('GROUP', USAGE_GROUP, this.#consumer, 'COUNT', count, 'STREAMS', stream, from)) as [string, RawEntry[]][] | null;
    return reply?.[0]?.[1] ?? [];
  }

  #entry(stream: string, entryId: string, fields: readonly string[]): OutboxEntry {
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i] as string, fields[i + 1] as string);
    const voids = values.get('v');
    return {
      stream,
      account: stream.slice(this.#prefix.length + 1, -(USAGE_SUFFIX.length + 2)),
      entryId,
      time: Number(entryId.slice(0, entryId.indexOf('-'))),
      policy: values.get('p') ?? '',
      overage: Number(values.get('o') ?? 0),
      credits: Number(values.get('c') ?? 0),
      key: values.get('k') ?? '',
      ...(voids === undefined ? {} : { voids }),
    };
  }
}

// The server's clock as seen from this host: admissions and claims the engine may abandon carry a
// deadline that the scripts check against `TIME`, so this host's deadline (Date.now based) is
// translated by the offset between the two clocks, measured when a connection becomes ready and
// every minute after (as an upper bound: the server's reading minus the moment TIME was sent). A skewed host therefore refuses nothing by mistake. On a Cluster every
// master is measured and the largest offset kept: a deadline then errs late on the other nodes,
// never early — a late one costs only a void (the receipt undoes it), an early one would refuse
// admissions the engine still waits for. The same moment also loads the admit script on every
// master, so that the first decisions after a (re)start do not pay NOSCRIPT's second round trip.
import type { Redis } from 'ioredis';
import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';
import type { LuaScript } from './lua/script.js';

const REMEASURE_MS = 60_000;

export class ServerClock {
  /** Server ms minus host ms; undefined until measured (no deadline is sent meanwhile: the void alone protects). */
  #offsetMs: number | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly client: RedisClient,
    private readonly preload: LuaScript,
  ) {
    client.on('ready', () => {
      void this.#measure(true);
    });
    this.#timer = setInterval(() => void this.#measure(false), REMEASURE_MS);
    this.#timer.unref();
  }

  /** `deadline` (host wall clock, ms) by the server's clock, rounded up; undefined while the offset is unknown. */
  readonly deadline = (deadline: number): number | undefined => (this.#offsetMs === undefined ? undefined : Math.ceil(deadline + this.#offsetMs));

  close(): void {
    clearInterval(this.#timer);
  }

  async #measure(loadScripts: boolean): Promise<void> {
    if (this.client.status !== 'ready') return;
    // Only masters already connected: a command sent to a Cluster node still waiting to connect
    // starts its connection outside the Cluster's own bookkeeping, and the Cluster's first command to
    // that node then fails over to a retry (about 100 ms: every first decision on it would time out).
    // Nodes connected later are measured at the next round; meanwhile the others' offset stands.
    const masters: Redis[] = this.client instanceof Cluster ? this.client.nodes('master').filter((node) => node.status === 'ready') : [this.client];
    if (masters.length === 0) return;
    try {
      const offsets = await Promise.all(
        masters.map(async (node) => {
          if (loadScripts) await node.script('LOAD', this.preload.lua);
          const sent = Date.now();
          const [seconds, micros] = await node.time();
          // The server read its clock at some moment after `sent`: this is the largest the offset
          // can be, so a deadline errs late, whatever the round trip (a reply held up by a stalled
          // server would skew a midpoint estimate early by half the stall).
          return Number(seconds) * 1000 + Math.ceil(Number(micros) / 1000) - sent;
        }),
      );
      this.#offsetMs = Math.max(...offsets);
    } catch {
      // A node that cannot answer now is measured again at the next ready or in a minute; the
      // previous offset (or none) stands meanwhile.
    }
  }
}

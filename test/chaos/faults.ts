// The chaos suite's fault injector: while the processes decide, at seeded random moments it
// freezes a redis-server (SIGSTOP, then SIGCONT after a seeded pause: a Cluster master on a
// Cluster), kills every client connection of a server (CLIENT KILL TYPE normal), and in some runs
// replaces one gateway process (SIGKILL and a fresh fork). The order, kind, target and length of
// the faults follow from the seed; when they land among the decisions depends on the scheduler.
import type { Redis } from 'ioredis';
import type { RedisServer } from '../support/redis.js';
import type { Lane } from './fleet.js';

export const FAULT_KINDS = ['freeze', 'client-kill', 'restart'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultTargets {
  readonly nodes: readonly RedisServer[];
  /** One admin connection per node, which CLIENT KILL spares (SKIPME). */
  readonly admins: readonly Redis[];
  readonly lanes: readonly Lane[];
}

/** Between faults, and how long a server stays frozen (ms). */
const GAP_MS = [150, 600] as const;
const FROZEN_MS = [10, 200] as const;
const FREEZE_SHARE = 0.5;
/** Runs in which a gateway process is replaced, and when (ms into the run). */
const RESTART_SHARE = 0.3;
const RESTART_AT_MS = [200, 1500] as const;

export class FaultInjector {
  /** What was done and when (ms into the run), for the failure report. */
  readonly log: string[] = [];
  #running = false;
  #loop: Promise<void> = Promise.resolve();
  readonly #frozen = new Set<number>();
  readonly #thaws = new Set<Promise<void>>();

  /** `kinds`: the faults injected; the others are drawn all the same (and skipped), so a seed's schedule does not change. */
  constructor(
    private readonly random: () => number,
    private readonly targets: FaultTargets,
    private readonly kinds: ReadonlySet<FaultKind>,
  ) {}

  start(): void {
    this.#running = true;
    this.#loop = this.#inject();
  }

  /** No new faults; every frozen server runs again (SIGCONT) before this resolves. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await Promise.all(this.#thaws);
    for (const node of this.targets.nodes) node.unpause();
  }

  async #inject(): Promise<void> {
    const started = performance.now();
    const at = (): string => `${String(Math.round(performance.now() - started)).padStart(5)} ms`;
    const restartLane = this.random() < RESTART_SHARE ? this.#pick(this.targets.lanes.length) : undefined;
    let restartAt = this.#between(RESTART_AT_MS);
    for (;;) {
      await sleep(this.#between(GAP_MS));
      if (!this.#running) return;
      if (restartLane !== undefined && performance.now() - started >= restartAt) {
        restartAt = Infinity;
        if (this.kinds.has('restart')) {
          this.targets.lanes[restartLane]?.requestRestart();
          this.log.push(`${at()} SIGKILL and restart process ${restartLane}`);
        }
      }
      const node = this.#pick(this.targets.nodes.length);
      if (this.random() < FREEZE_SHARE && !this.#frozen.has(node)) {
        const frozenMs = this.#between(FROZEN_MS);
        if (!this.kinds.has('freeze')) continue;
        this.log.push(`${at()} SIGSTOP node ${node} for ${frozenMs} ms`);
        this.#freeze(node, frozenMs);
      } else if (this.kinds.has('client-kill')) {
        this.log.push(`${at()} CLIENT KILL on node ${node}${this.#frozen.has(node) ? ' (frozen: runs at SIGCONT)' : ''}`);
        // Not awaited: on a frozen server it runs when the server does.
        this.targets.admins[node]?.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes').catch(() => undefined);
      }
    }
  }

  #freeze(index: number, ms: number): void {
    const node = this.targets.nodes[index];
    if (node === undefined) return;
    node.pause();
    this.#frozen.add(index);
    const thaw = sleep(ms).then(() => {
      node.unpause();
      this.#frozen.delete(index);
      this.#thaws.delete(thaw);
    });
    this.#thaws.add(thaw);
  }

  #pick(n: number): number {
    return Math.floor(this.random() * n);
  }

  #between([min, max]: readonly [number, number]): number {
    return min + this.#pick(max - min + 1);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

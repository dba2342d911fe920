// Chaos suite: money stays exact under faults (issue 12). For the Redis store and a 3-master Redis
// Cluster, 20 seeded runs each; a run is 4 gateway processes × 1,000 decisions through the built
// engine (policy: onFailure closed, timeoutMs 40, credits drawn per request, a monthly request
// quota, an x402 offer; payments presented by several processes at once) while redis-server
// processes are frozen (SIGSTOP/SIGCONT), client connections killed (CLIENT KILL) and, in some
// runs, a gateway process replaced (SIGKILL, fresh fork).
//
// INVARIANT, asserted exactly once every server runs again and every engine drained:
//   - per account, credits drawn = the sum of the costs of the answers its plan allowed;
//   - per account, its quota counter = the number of answers its plan allowed;
//   - no account has more allowed answers than its quota, nor costing more than its credits;
//   - each payment is claimed in the store iff some answer was allowed because it paid, and no
//     payment paid for two allowed answers.
// Refusals (402, 429, 503, …) consume nothing. See README.md in this folder.
//
// Reproduce a run with TOLLGATE_CHAOS_SEED=<seed> (the seed is in the test name and the failure);
// TOLLGATE_CHAOS_FAULTS=off (or a list such as `restart`) runs the same workload with no faults (or
// only those): with TOLLGATE_CHAOS_TIMEOUT_MS=5000, a check of the harness itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts, systemClock, type Accounts, type Store, type StoreSettings } from '../../packages/engine/src/index.js';
import { createRedisStore } from '../../packages/engine/src/store/redis/redis-store.js';
import { RedisCluster, RedisServer, redisSkipReason } from '../support/redis.js';
import { removeFacilitatorBundle, startFacilitatorProcess, type FacilitatorProcess } from '../support/x402-facilitator-process.js';
import { FAULT_KINDS, type FaultKind } from './faults.js';
import { bundleDecider, Lane } from './fleet.js';
import { chaosRun, type ChaosEnvironment } from './run.js';
import { KEY_PREFIX, PROCESSES, STORE_TIMEOUT_MS } from './scenario.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const RUNS_PER_STORE = 20;
const RUN_TIMEOUT_MS = 60_000;
const SEED = process.env.TOLLGATE_CHAOS_SEED;
const FAULTS = faultKinds(process.env.TOLLGATE_CHAOS_FAULTS);
/** The policy's store timeout; a check of the harness on a loaded machine may raise it so that no decision times out. */
const TIMEOUT_MS = Number(process.env.TOLLGATE_CHAOS_TIMEOUT_MS ?? STORE_TIMEOUT_MS);
const firstSeed = randomInt(2 ** 31 - RUNS_PER_STORE);
const SEEDS = SEED === undefined || SEED === '' ? Array.from({ length: RUNS_PER_STORE }, (_, i) => firstSeed + i) : [Number(SEED)];

let dir: string;
let facilitator: FacilitatorProcess;
let lanes: Lane[] = [];

/** `off`, or a comma-separated list of fault kinds; default every kind. */
function faultKinds(setting: string | undefined): ReadonlySet<FaultKind> {
  if (setting === undefined || setting === '') return new Set(FAULT_KINDS);
  if (setting === 'off') return new Set();
  const kinds = setting.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new Error(`TOLLGATE_CHAOS_FAULTS: unknown fault ${unknown.join(', ')} (off, or some of ${FAULT_KINDS.join(', ')})`);
  return new Set(kinds as FaultKind[]);
}

describe.skipIf(skip !== undefined)(`chaos: ${PROCESSES} processes × 1,000 decisions, faults: ${[...FAULTS].join(', ') || 'off'}`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-chaos-'));
    const decider = await bundleDecider(dir);
    [facilitator, lanes] = await Promise.all([startFacilitatorProcess(), Promise.all(Array.from({ length: PROCESSES }, () => Lane.open(decider)))]);
  });
  afterAll(async () => {
    await Promise.all(lanes.map((lane) => lane.close()));
    await facilitator.stop();
    removeFacilitatorBundle();
    rmSync(dir, { recursive: true, force: true });
  });

  describe.each(['redis', 'redis-cluster'] as const)('%s store', (kind) => {
    let nodes: readonly RedisServer[] = [];
    let admins: Redis[] = [];
    let store: Store;
    let accounts: Accounts;
    let settings: StoreSettings;
    let closeServers: () => Promise<void>;
    beforeAll(async () => {
      if (kind === 'redis') {
        const server = await RedisServer.start();
        nodes = [server];
        settings = { kind, url: server.url, keyPrefix: KEY_PREFIX, timeoutMs: TIMEOUT_MS };
        closeServers = () => server.close();
      } else {
        const cluster = await RedisCluster.start();
        nodes = cluster.nodes;
        settings = { kind, nodes: cluster.nodeList.split(','), keyPrefix: KEY_PREFIX, timeoutMs: TIMEOUT_MS };
        closeServers = () => cluster.close();
      }
      admins = nodes.map((node) => new Redis(node.url));
      // The suite's own store (grants, balances) waits for a connection as account operations do.
      store = createRedisStore({ ...settings, timeoutMs: 1000 });
      accounts = createAccounts(store, systemClock);
    });
    afterAll(async () => {
      await store.close();
      await Promise.all(admins.map((admin) => admin.quit()));
      await closeServers();
    });

    it.each(SEEDS)(
      `seed %i`,
      async (seed) => {
        const env: ChaosEnvironment = { kind, nodes, admins, accounts, store: settings, facilitatorUrl: facilitator.url, lanes };
        const run = await chaosRun(env, seed, FAULTS);
        console.info(`chaos ${kind} seed ${seed}: ${run.report.split('\n')[0] ?? ''}`);
        const reproduce = `reproduce: TOLLGATE_CHAOS_SEED=${seed} npx vitest run test/chaos`;
        const broken = `${kind} store, seed ${seed}: the invariant broke\n${run.violations.join('\n')}\n${reproduce}\n${run.report}`;
        expect(run.violations, broken).toEqual([]);
      },
      RUN_TIMEOUT_MS,
    );
  });
});

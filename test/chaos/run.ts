// One chaos run: fresh data and credits, the seed's workload through every process while the fault
// injector works, then everything thawed and drained, and the store's books compared with the
// answers (ledger.ts).
import type { Redis } from 'ioredis';
import type { Accounts, StoreKind, StoreSettings } from '../../packages/engine/src/index.js';
import { compileOffer } from '../../packages/engine/src/x402/offer.js';
import { readPayment } from '../../packages/engine/src/x402/payment-header.js';
import { replayOf } from '../../packages/engine/src/x402/replay.js';
import type { RedisServer } from '../support/redis.js';
import { paymentHeader, paymentPayloadV2, testPayer, testRequirements } from '../support/x402-client.js';
import type { StartJob } from './decider.js';
import { FaultInjector, type FaultKind } from './faults.js';
import type { Lane, Pace } from './fleet.js';
import { readLedger, tally, violations } from './ledger.js';
import { chaosPolicy, HOST, PAYMENTS_PER_RUN, ROUTES, seededStreams, workload, type Answer } from './scenario.js';

/** 1,000 decisions in about 2.5 s per process: long enough for a dozen faults to land among them. */
const PACE: Pace = { perSecond: 400, inFlight: 16 };

export interface ChaosEnvironment {
  readonly kind: Extract<StoreKind, 'redis' | 'redis-cluster'>;
  /** The standalone server, or the Cluster's masters. */
  readonly nodes: readonly RedisServer[];
  /** One connection per node: flushes, reads and CLIENT KILL. */
  readonly admins: readonly Redis[];
  /** Account operations through a store of the suite's own. */
  readonly accounts: Accounts;
  /** What each process's store connects with. */
  readonly store: StoreSettings;
  readonly facilitatorUrl: string;
  readonly lanes: readonly Lane[];
}

export interface RunResult {
  /** Empty when the invariant held. */
  readonly violations: readonly string[];
  /** Answers by status, faults injected, time taken. */
  readonly report: string;
}

/** `faults`: the kinds injected (none: the workload alone). */
export async function chaosRun(env: ChaosEnvironment, seed: number, faults: ReadonlySet<FaultKind>): Promise<RunResult> {
  const started = performance.now();
  const streams = seededStreams(seed);
  const work = workload(streams.workload);
  await Promise.all(env.admins.map((admin) => admin.flushall()));
  for (const [consumer, amount] of Object.entries(work.credits)) await env.accounts.changeCredits(consumer, 'grant', amount);
  const config = chaosPolicy(env.kind, env.facilitatorUrl, env.store.timeoutMs);
  const payments = await signPayments();
  const option = compileOffer(config.payment?.x402, config.policy)?.requirements(undefined, resourceUrl(0)).accepts[0];
  if (option === undefined) throw new Error('the chaos policy has an incomplete x402 offer');
  const requirements = option.v2;
  const replayKeys = payments.map((header) => {
    const read = readPayment({ [header.name.toLowerCase()]: header.value });
    if (read.kind !== 'payment') throw new Error(`a signed payment does not read back: ${read.kind}`);
    return replayOf(read.payment, requirements, Date.now()).key;
  });

  const job: StartJob = { config, store: env.store, host: HOST, paths: ROUTES.map((r) => r.path), payments };
  await Promise.all(env.lanes.map((lane) => lane.start(job)));
  const injector = new FaultInjector(streams.faults, env, faults);
  if (faults.size > 0) injector.start();
  let answers: Answer[][];
  try {
    answers = await Promise.all(env.lanes.map((lane, i) => lane.run(work.lanes[i] ?? [], PACE)));
  } finally {
    await injector.stop();
  }
  await Promise.all(env.lanes.map((lane) => lane.drain()));
  // Each server has run what it had queued when it answers.
  await Promise.all(env.admins.map((admin) => admin.ping()));

  const books = tally(work, answers.flat());
  const found = violations(work, books, await readLedger(env.admins, env.accounts), replayKeys);
  const statuses = Object.entries(books.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  const restarts = env.lanes.reduce((sum, lane) => sum + lane.restarts, 0);
  const report = [
    `${answers.flat().length} answers in ${Math.round(performance.now() - started)} ms (${restarts} process restarts): ${statuses}`,
    faults.size > 0 ? `faults (${[...faults].join(', ')}):\n${injector.log.join('\n')}` : 'no faults injected',
  ].join('\n');
  return { violations: found, report };
}

function resourceUrl(route: number): string {
  return `http://${HOST}${ROUTES[route]?.path ?? '/'}`;
}

/** The run's payments, each a fresh EIP-3009 authorisation signed by the test payer. */
async function signPayments(): Promise<{ readonly name: string; readonly value: string }[]> {
  const payer = testPayer();
  const requirements = testRequirements();
  return Promise.all(Array.from({ length: PAYMENTS_PER_RUN }, async () => paymentHeader(await paymentPayloadV2(payer, requirements, resourceUrl(0)))));
}

// One gateway process of the chaos suite (bundled and forked by fleet.ts): it runs the BUILT engine
// (packages/engine/dist, as the adapters ship it) on its own Redis connections, decides the
// requests the suite sends it over IPC and answers each as the gateway would hand it to the
// client. It says `ready` once loaded; `start` makes a fresh store and engine for a run; `drain`
// waits until the engine has nothing left to do (engine.drained() where the engine has it, a settle
// time otherwise) and closes the store. It exits when the suite disconnects.
import { createEngine, createRedisStore, systemClock, type Engine, type EngineConfig, type RedisStore, type StoreSettings } from '../../packages/engine/dist/index.js';
import { factsOf } from '../support/vectors.js';
import type { Answer, ChaosRequest } from './scenario.js';

export interface StartJob {
  readonly config: EngineConfig;
  readonly store: StoreSettings;
  readonly host: string;
  readonly paths: readonly string[];
  /** The run's payments, as request headers. */
  readonly payments: readonly { readonly name: string; readonly value: string }[];
}

export type DeciderCommand =
  | { readonly kind: 'start'; readonly job: StartJob }
  | { readonly kind: 'decide'; readonly request: ChaosRequest }
  | { readonly kind: 'drain' };

export type DeciderReply =
  | { readonly kind: 'ready' | 'started' | 'drained' }
  | { readonly kind: 'answer'; readonly answer: Answer }
  | { readonly kind: 'failed'; readonly error: string };

/** How long a drain waits when the engine has no drained(): long enough for late replies to arrive. */
const SETTLE_MS = 250;

const WARM_UP_ATTEMPTS = 30;

/** drained() resolves once no compensating void or completion retry is pending (engines that have it). */
type DrainableEngine = Engine & { readonly drained?: () => Promise<void> };

let running: { readonly engine: DrainableEngine; readonly store: RedisStore; readonly job: StartJob } | undefined;

function send(reply: DeciderReply): void {
  process.send?.(reply);
}

async function start(job: StartJob): Promise<void> {
  const store = createRedisStore(job.store);
  const compiled = createEngine(job.config, store, systemClock, { facilitatorTimeouts: { verifyMs: 5000, settleMs: 5000 } });
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  // Connected before the first decision, so connection setup never counts against the store
  // timeout; a restarted process may meet a frozen server or a killed connection: it tries again.
  for (let attempt = 1; ; attempt++) {
    try {
      await store.getAccount('warm-up');
      break;
    } catch (error) {
      if (attempt === WARM_UP_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  running = { engine: compiled.engine, store, job };
}

async function decide(request: ChaosRequest): Promise<Answer> {
  if (running === undefined) throw new Error('decide before start');
  const { engine, job } = running;
  const payment = request.payment === undefined ? undefined : job.payments[request.payment];
  const facts = factsOf({
    method: 'GET',
    path: job.paths[request.route] ?? '/',
    host: job.host,
    consumer: request.consumer,
    headers: payment === undefined ? {} : { [payment.name]: payment.value },
  });
  const decision = await engine.decide(facts);
  if (decision.kind === 'allow') return { id: request.id, allowed: true, status: 200, reason: 'allowed', paid: decision.log.paid === true };
  return { id: request.id, allowed: false, status: decision.status, reason: decision.reason, paid: false };
}

async function drain(): Promise<void> {
  if (running === undefined) return;
  const { engine, store } = running;
  running = undefined;
  if (typeof engine.drained === 'function') await engine.drained();
  else await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  await store.close();
}

function failed(error: unknown): void {
  send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}

process.on('message', (command: DeciderCommand) => {
  if (command.kind === 'decide') {
    decide(command.request).then((answer) => {
      send({ kind: 'answer', answer });
    }, failed);
  } else if (command.kind === 'start') {
    start(command.job).then(() => {
      send({ kind: 'started' });
    }, failed);
  } else {
    drain().then(() => {
      send({ kind: 'drained' });
    }, failed);
  }
});
send({ kind: 'ready' });

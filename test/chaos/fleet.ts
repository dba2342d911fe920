// The suite's side of the gateway processes (decider.ts): a Lane per process sends its requests at a
// steady rate with a bounded number in flight and keeps every answer it got back. On request it
// replaces its process mid-run: it lets the decisions in flight answer, drains the engine, kills
// the process with SIGKILL and forks a new one that carries on with the remaining requests (the
// answers already returned stay counted).
import { fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { bundleForNode } from '../support/node-bundle.js';
import type { DeciderCommand, DeciderReply, StartJob } from './decider.js';
import type { Answer, ChaosRequest } from './scenario.js';

const DECIDER = new URL('./decider.ts', import.meta.url);

/** Leaves the engine out of the bundle: the process imports the built one (packages/engine/dist), as the adapters do. */
const BUILT_ENGINE: Plugin = {
  name: 'built-engine',
  setup(build) {
    build.onResolve({ filter: /\/packages\/engine\/dist\/index\.js$/ }, (args) => ({ path: pathToFileURL(resolve(args.resolveDir, args.path)).href, external: true }));
  },
};

/** decider.ts as one file in `dir` for plain `node` (no TypeScript loaded in each process, so a fork is quick); its path. */
export async function bundleDecider(dir: string): Promise<string> {
  const outfile = join(dir, 'decider.mjs');
  await bundleForNode(fileURLToPath(DECIDER), outfile, [BUILT_ENGINE]);
  return outfile;
}

export interface Pace {
  /** Requests sent per second (each process). */
  readonly perSecond: number;
  /** Decisions in flight at once (each process). */
  readonly inFlight: number;
}

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
}

class DeciderProcess {
  readonly #answers = new Map<number, Waiter<Answer>>();
  /** The one control command (start, drain) waiting for its reply, or the initial `ready`. */
  #control: Waiter<void> | undefined;
  #exit: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: DeciderReply) => {
      this.#receive(reply);
    });
    this.#exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#failAll(new Error(`decider ${String(child.pid)} exited (${signal ?? String(code)})`));
        resolve();
      });
    });
  }

  static async fork(bundle: string): Promise<DeciderProcess> {
    const decider = new DeciderProcess(fork(bundle, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    await decider.#awaitControl();
    return decider;
  }

  start(job: StartJob): Promise<void> {
    return this.#command({ kind: 'start', job });
  }

  drain(): Promise<void> {
    return this.#command({ kind: 'drain' });
  }

  decide(request: ChaosRequest): Promise<Answer> {
    return new Promise((resolve, reject) => {
      this.#answers.set(request.id, { resolve, reject });
      this.#send({ kind: 'decide', request });
    });
  }

  /** SIGKILL, as a crashed or OOM-killed gateway worker. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.#exit;
  }

  /** Lets the process exit on its own (it does once the IPC channel is gone). */
  async close(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    await this.#exit;
  }

  #command(command: DeciderCommand): Promise<void> {
    const reply = this.#awaitControl();
    this.#send(command);
    return reply;
  }

  #awaitControl(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#control = { resolve, reject };
    });
  }

  #send(command: DeciderCommand): void {
    this.child.send(command);
  }

  #receive(reply: DeciderReply): void {
    if (reply.kind === 'answer') {
      this.#answers.get(reply.answer.id)?.resolve(reply.answer);
      this.#answers.delete(reply.answer.id);
    } else if (reply.kind === 'failed') {
      this.#failAll(new Error(`decider ${String(this.child.pid)}: ${reply.error}`));
    } else {
      const control = this.#control;
      this.#control = undefined;
      control?.resolve();
    }
  }

  #failAll(error: Error): void {
    for (const waiter of this.#answers.values()) waiter.reject(error);
    this.#answers.clear();
    this.#control?.reject(error);
    this.#control = undefined;
  }
}

export class Lane {
  #restartWanted = false;
  #job: StartJob | undefined;
  /** Processes replaced (killed and forked anew) in the current run. */
  restarts = 0;

  private constructor(
    private readonly bundle: string,
    private process: DeciderProcess,
  ) {}

  /** A lane whose processes run `bundle` (bundleDecider). */
  static async open(bundle: string): Promise<Lane> {
    return new Lane(bundle, await DeciderProcess.fork(bundle));
  }

  /** The process is replaced before the lane sends its next request. */
  requestRestart(): void {
    this.#restartWanted = true;
  }

  /** A fresh store and engine in the process, for the run `job` describes. */
  async start(job: StartJob): Promise<void> {
    this.restarts = 0;
    this.#restartWanted = false;
    this.#job = job;
    await this.process.start(job);
  }

  /** Sends every request with `pace`; the answers, in the order they came back. */
  async run(requests: readonly ChaosRequest[], pace: Pace): Promise<Answer[]> {
    const answers: Answer[] = [];
    const inFlight = new Set<Promise<void>>();
    const started = performance.now();
    for (const [k, request] of requests.entries()) {
      const wait = started + (k * 1000) / pace.perSecond - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      while (inFlight.size >= pace.inFlight) await Promise.race(inFlight);
      if (this.#restartWanted) {
        this.#restartWanted = false;
        await Promise.all(inFlight);
        await this.#replace();
      }
      const answered: Promise<void> = this.process.decide(request).then((answer) => {
        answers.push(answer);
        inFlight.delete(answered);
      });
      inFlight.add(answered);
    }
    await Promise.all(inFlight);
    return answers;
  }

  /** Waits until the engine has nothing pending and closes its store. */
  drain(): Promise<void> {
    return this.process.drain();
  }

  close(): Promise<void> {
    return this.process.close();
  }

  async #replace(): Promise<void> {
    const job = this.#job;
    if (job === undefined) throw new Error('replace before start');
    // Drained first: what the engine still had to do (a compensating void, a retry) is its
    // promise to the answers it already gave, which a crash would break by design.
    await this.process.drain();
    await this.process.kill();
    this.process = await DeciderProcess.fork(this.bundle);
    await this.process.start(job);
    this.restarts++;
  }
}

// A sidecar stand-in for adapter tests that need an answer the engine does not give for their
// policy: it speaks the sidecar protocol (packages/sidecar/src/protocol/wire.ts) on a unix socket,
// registers every conf with the given plan, answers every DECIDE with the given CONTINUE members or
// with what a function picks from the DECIDE's facts (each answer carrying its request's number)
// and records the DECIDE and COMPLETE frames it received, as the adapter sent them.
import { chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { encodeFrame, FrameReader } from '../../packages/apisix-runner/src/index.js';
import type { EngineConfig } from '../../packages/engine/src/index.js';
import { FrameType } from '../../packages/sidecar/src/index.js';

/**
 * A DECIDE's answer: the same CONTINUE members every time, or what a function picks from the facts:
 * a frame, or no answer — 'goaway' ends the connection with GOAWAY (the sidecar says it never read
 * the request), 'drop' destroys it (as a killed sidecar's would end).
 */
export type ScriptedAnswer = Record<string, unknown> | ((decide: Record<string, unknown>) => { type: number; body: Record<string, unknown> } | 'goaway' | 'drop');

/**
 * The plugin entry's policy in tests against the scripted sidecar: the adapters only send it at
 * registration, and the scripted answers do not depend on it.
 */
export function scriptedPolicy(name: string): string {
  const policy: EngineConfig = {
    version: 1,
    policy: name,
    routes: [{ name: 'all', paths: ['/'] }],
    identity: { auth: 'none', limitBy: 'ip' },
    plans: [{ name: 'free', plan: {} }],
    defaultPlan: 'free',
    consumerPlans: {},
    costs: {},
    store: { kind: 'memory' },
  };
  return JSON.stringify(policy);
}

export interface ScriptedSidecar {
  readonly decides: Record<string, unknown>[];
  readonly completes: Record<string, unknown>[];
  /** The next COMPLETE frame after `seen` of them arrived (the adapter sends it from a timer after the response). */
  complete(seen: number, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startScriptedSidecar(socketPath: string, plan: Record<string, unknown>, answer: ScriptedAnswer): Promise<ScriptedSidecar> {
  const decides: Record<string, unknown>[] = [];
  const completes: Record<string, unknown>[] = [];
  const server: Server = createServer((socket) => {
    const reader = new FrameReader(0xff_ff_ff);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        // i: the request's number, which its answer carries back (recorded frames are without it).
        const { i, ...body } = JSON.parse(Buffer.from(frame.payload).toString('utf8')) as Record<string, unknown>;
        const reply = (type: number, answer: object) => socket.write(encodeFrame(type, Buffer.from(JSON.stringify({ ...answer, i }))));
        if (frame.type === FrameType.Register) reply(FrameType.Registered, { token: 1, headers: ['host'], consumer: false, credential: false, ip: false, scheme: false, ...plan });
        else if (frame.type === FrameType.Decide) {
          decides.push(body);
          const picked = typeof answer === 'function' ? answer(body) : { type: FrameType.Continue, body: answer };
          if (picked === 'drop') return void socket.destroy();
          if (picked === 'goaway') return void socket.end(encodeFrame(FrameType.GoAway, Buffer.from('{}')));
          reply(picked.type, picked.body);
        } else {
          completes.push(body);
          reply(FrameType.Completed, {});
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, () => { resolve(); }));
  chmodSync(socketPath, 0o777);
  return {
    decides,
    completes,
    async complete(seen, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (completes.length <= seen) {
        if (Date.now() > deadline) throw new Error(`no COMPLETE frame after ${String(seen)} within ${String(timeoutMs)} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return completes[seen] as Record<string, unknown>;
    },
    close: () => new Promise<void>((resolve) => { server.close(() => { resolve(); }); }),
  };
}

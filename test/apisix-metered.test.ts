// The APISIX runner on metered routes, against the APISIX-side stand-in (ext-plugin/init.lua's
// handle_extra_info and ext-plugin-post-resp as 3.18.0 has them): the request body asked with
// ReqBody only when its Content-Length is within the limit, the upstream's cost header handed to
// engine.complete and left out of the client's response, and the response body asked with RespBody
// and captured as the other adapters capture it. The engine here is scripted (its decisions carry
// Allow.observe whatever the policy says); the metered engine itself is tested on its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgateHandler, silentLogger, startRunnerServer, type RunnerServer } from '../packages/apisix-runner/src/index.js';
import { captureBody, REQUEST_BODY_LIMIT, type Allow, type Engine, type EngineConfig, type RequestFacts, type ResponseFacts, type ResponseObservation, type Runtime } from '../packages/engine/src/index.js';
import { ApisixSide } from './support/apisix-side/index.js';

const CONFIG = {
  version: 1,
  policy: 'metered',
  routes: [{ name: 'chat', paths: ['/chat'] }, { name: 'priced', paths: ['/priced'] }],
  identity: { auth: 'none', limitBy: 'ip' },
  plans: [{ name: 'free', plan: {} }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: {
    metered: {
      chat: { estimate: { requestField: 'max_tokens', fallback: 10 }, usage: 'openai', prices: { '*': { input: 1, output: 1 } } },
      priced: { estimate: 5, header: 'X-Cost-Units' },
    },
  },
  store: { kind: 'memory' },
} as unknown as EngineConfig;

/** An engine that allows everything with a follow-up and the route's observation, and records what it was handed. */
class ScriptedEngine {
  readonly config = CONFIG;
  readonly decided: RequestFacts[] = [];
  readonly completed: { status: number; response: ResponseFacts | undefined }[] = [];

  decide(facts: RequestFacts): Allow {
    this.decided.push(facts);
    const observe: ResponseObservation = facts.route === 'priced' ? { header: 'x-cost-units' } : { body: true };
    return {
      kind: 'allow',
      responseHeaders: {},
      upstream: { setHeaders: {}, removeHeaders: [], setQuery: {}, removeQuery: [] },
      followUp: { id: `follow-up-${String(this.decided.length)}` },
      observe,
      log: { policy: 'metered', decision: 'allow', reason: 'allowed', status: 200, cost: 0 },
    };
  }

  complete(_followUp: unknown, status: number, response?: ResponseFacts): Promise<{ hold: { kind: 'none' }; payment: { kind: 'none' }; headers: Record<string, string> }> {
    this.completed.push({ status, response });
    return Promise.resolve({ hold: { kind: 'none' }, payment: { kind: 'none' }, headers: {} });
  }
}

const engine = new ScriptedEngine();
const runtime = { engineFor: () => ({ ok: true, engine: engine as unknown as Engine }) } as unknown as Runtime;
const conf = (route: string) => [
  { name: 'tollgate', value: JSON.stringify(CONFIG) },
  { name: 'tollgate-route', value: route },
];

let dir: string;
let server: RunnerServer;
let side: ApisixSide;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'apisix-metered-'));
  const socketPath = join(dir, 'runner.sock');
  server = await startRunnerServer({ socketPath, handler: createTollgateHandler(runtime, silentLogger), confTtlMs: 60_000 });
  side = new ApisixSide({ socketPath, readTimeoutMs: 5_000 });
});
afterAll(async () => {
  side.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('request bodies', () => {
  const route = { id: 'chat', conf: conf('chat') };
  it.each([
    ['within the limit: asked with ReqBody', 12, false],
    ['above the limit: not asked, sent as unread', REQUEST_BODY_LIMIT + 1, true],
  ])('%s', async (_name, size, unread) => {
    const body = Buffer.alloc(size, 'a');
    const outcome = await side.request(route, { method: 'POST', uri: '/chat', headers: [['content-length', String(size)]], body });
    expect(outcome.kind).toBe('proxied');
    expect(outcome.extraInfo.some((info) => info.kind === 'req-body')).toBe(!unread);
    const facts = engine.decided.at(-1);
    expect(facts?.body).toBe(unread ? undefined : body.toString());
    expect(facts?.bodyTruncated).toBe(unread ? true : undefined);
  });

  it('reads a request without Content-Length or Transfer-Encoding as bodiless in HTTP/1.1', async () => {
    const outcome = await side.request(route, { method: 'GET', uri: '/chat' });
    expect(outcome.extraInfo.some((info) => info.kind === 'req-body')).toBe(false);
    expect(engine.decided.at(-1)?.body).toBe('');
  });
});

describe('responses', () => {
  it('hands the cost header to complete and leaves it out of the client response', async () => {
    const route = { id: 'priced', conf: conf('priced') };
    const client = { method: 'GET', uri: '/priced', vars: { request_id: 'r-priced' } };
    expect((await side.request(route, client)).kind).toBe('proxied');
    const answer = await side.respond({ ...route, plugin: 'ext-plugin-post-resp' }, client, { status: 200, headers: [['X-Cost-Units', '17'], ['Content-Type', 'application/json']], body: Buffer.from('{}') });
    expect(answer.kind).toBe('answered');
    if (answer.kind !== 'answered') return;
    expect(answer.headers.has('x-cost-units')).toBe(false);
    expect(answer.headers.get('content-type')).toEqual(['application/json']);
    expect(answer.extraInfo.some((info) => info.kind === 'resp-body')).toBe(false);
    expect(engine.completed.at(-1)).toEqual({ status: 200, response: { status: 200, header: '17' } });
  });

  it('answers a list APISIX will not replace with the upstream\'s own when the cost header was the only one', async () => {
    const route = { id: 'priced', conf: conf('priced') };
    const client = { method: 'GET', uri: '/priced', vars: { request_id: 'r-alone' } };
    await side.request(route, client);
    const answer = await side.respond({ ...route, plugin: 'ext-plugin-post-resp' }, client, { status: 200, headers: [['X-Cost-Units', '3']], body: new Uint8Array() });
    if (answer.kind !== 'answered') throw new Error(answer.error);
    expect(answer.headers.has('x-cost-units')).toBe(false);
    expect(answer.headers.get('date')?.[0]).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });

  it('asks for the body with RespBody and captures it as captureBody does; the client still gets all of it', async () => {
    const route = { id: 'chat', conf: conf('chat') };
    const client = { method: 'POST', uri: '/chat', vars: { request_id: 'r-chat' }, headers: [['content-length', '2']] as [string, string][], body: Buffer.from('{}') };
    expect((await side.request(route, client)).kind).toBe('proxied');
    const body = Buffer.from(`data: ${'x'.repeat(100_000)}\n\ndata: {"usage":{"total_tokens":9}}\n\n`);
    const answer = await side.respond({ ...route, plugin: 'ext-plugin-post-resp' }, client, { status: 200, headers: [['Content-Type', 'text/event-stream']], body });
    if (answer.kind !== 'answered') throw new Error(answer.error);
    expect(Buffer.from(answer.body).equals(body)).toBe(true);
    expect(answer.extraInfo.some((info) => info.kind === 'resp-body')).toBe(true);
    expect(engine.completed.at(-1)).toEqual({ status: 200, response: { status: 200, body: captureBody(body), contentType: 'text/event-stream' } });
  });
});

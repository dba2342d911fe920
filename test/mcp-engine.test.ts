// MCP routes through the engine beyond what the conformance vectors can say: the exact JSON-RPC
// envelopes (ids, null ids, the tool-result text), the cost in the decision log, the preview
// (`tollgate why`), a chargeOn: success hold of an MCP price, and a body the gateway cut.
import { describe, expect, it } from 'vitest';
import { createAccounts, createMemoryStore, PAYMENT_REQUIRED_HEADER, systemClock, type Decision, type Deny, type EngineConfig, type RequestFacts } from '../packages/engine/src/index.js';
import { explainTrace } from '../packages/engine/src/explain.js';
import { isMcpRoute } from '../packages/engine/src/mcp/gate.js';
import { engineOn } from './support/engine.js';
import { BASE_CONFIG, factsOf } from './support/vectors.js';

const MCP: EngineConfig = {
  ...BASE_CONFIG,
  routes: [...BASE_CONFIG.routes, { name: 'mcp', paths: ['/mcp'], methods: ['GET', 'POST'] }],
  plans: [{ name: 'prepaid', plan: { credits: true } }],
  defaultPlan: 'prepaid',
  costs: { mcp: { mcp: { tools: { search: 2, deep_research: 9 }, methods: { 'tools/list': 0 } } } },
};

const post = (body: string, extra: Partial<RequestFacts> = {}): RequestFacts => ({ ...factsOf({ method: 'POST', path: '/mcp', consumer: 'alice', body }), ...extra });
const call = (id: number | string, tool: string): string => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool } });

async function withCredits(config: EngineConfig, credits: number) {
  const store = createMemoryStore();
  if (credits > 0) await createAccounts(store, systemClock).changeCredits('alice', 'grant', credits);
  return { store, engine: engineOn(config, store) };
}

function denied(decision: Decision): Deny {
  if (decision.kind !== 'deny') throw new Error(`expected a refusal, got ${decision.kind}`);
  return decision;
}

describe('MCP pricing in the engine', () => {
  it('admits with the tool price, and logs it as the cost', async () => {
    const { store, engine } = await withCredits(MCP, 10);
    const decision = await engine.decide(post(call(1, 'deep_research')));
    expect(decision).toMatchObject({ kind: 'allow', log: { route: 'mcp', cost: 9 } });
    expect(store.getAccount('alice').credits).toBe(1);
    const refused = denied(await engine.decide(post(call(2, 'search'))));
    expect(refused.log).toMatchObject({ reason: 'insufficient-credits', cost: 2 });
  });

  it('previews with the tool price (tollgate why), changing nothing', async () => {
    const { store, engine } = await withCredits(MCP, 5);
    const trace = await engine.explain(post(call(1, 'deep_research')));
    expect(explainTrace(trace)).toMatchObject({ cost: 9, credits: { balance: 5, cost: 9 } });
    expect(trace.decision).toMatchObject({ kind: 'deny', reason: 'insufficient-credits' });
    expect(store.getAccount('alice').credits).toBe(5);
  });

  it('holds the MCP price under chargeOn: success and gives exactly that back on a 5xx', async () => {
    const { store, engine } = await withCredits({ ...MCP, costs: { ...MCP.costs, chargeOn: 'success' } }, 20);
    const decision = await engine.decide(post(call(1, 'deep_research')));
    if (decision.kind !== 'allow' || decision.followUp === undefined) throw new Error('expected a held admission');
    expect(store.getAccount('alice').credits).toBe(11);
    expect((await engine.complete(decision.followUp, 502)).hold).toMatchObject({ kind: 'released' });
    expect(store.getAccount('alice').credits).toBe(20);
  });

  it('reads no body on other routes and other methods', async () => {
    const { engine } = await withCredits(MCP, 3);
    expect(await engine.decide(factsOf({ method: 'POST', path: '/v1/history', consumer: 'alice', body: 'not json' }))).toMatchObject({ kind: 'allow', log: { cost: 1 } });
    expect(await engine.decide(factsOf({ method: 'GET', path: '/mcp', consumer: 'alice' }))).toMatchObject({ kind: 'allow', log: { cost: 1 } });
    expect(isMcpRoute(MCP, 'mcp')).toBe(true);
    expect(isMcpRoute(MCP, 'history')).toBe(false);
    expect(isMcpRoute(MCP, 'constructor')).toBe(false);
  });

  it('refuses a body the gateway cut, as an invalid request with id null, charging nothing', async () => {
    const { store, engine } = await withCredits(MCP, 3);
    const refused = denied(await engine.decide(post(call(1, 'search'), { bodyTruncated: true })));
    expect(refused).toMatchObject({ status: 400, reason: 'invalid-request', log: { reason: 'invalid-request', consumer: 'alice', error: expect.stringContaining('did not read the whole body') as unknown } });
    expect(JSON.parse(refused.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } });
    expect(store.getAccount('alice').credits).toBe(3);
  });

});

describe('MCP refusals in JSON-RPC', () => {
  it('answers one error per request id of a batch, and an array even for one', async () => {
    const { engine } = await withCredits(MCP, 0);
    const refused = denied(await engine.decide(post(`[${call('only', 'search')},{"jsonrpc":"2.0","method":"notifications/progress"}]`)));
    const body = JSON.parse(refused.body) as unknown[];
    expect(body).toEqual([{ jsonrpc: '2.0', id: 'only', error: { code: 402, message: 'Insufficient credits', data: expect.objectContaining({ cost: 2, balance: 0 }) as unknown } }]);
    expect(refused.headers['Content-Type']).toBe('application/json');
  });

  it('answers a refused body of notifications only with one error of id null', async () => {
    const { engine } = await withCredits({ ...MCP, costs: { mcp: { mcp: { methods: { 'notifications/progress': 1 } } } } }, 0);
    const refused = denied(await engine.decide(post('{"jsonrpc":"2.0","method":"notifications/progress"}')));
    expect(JSON.parse(refused.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: 402 } });
  });

  it('answers a paid tools/call with the x402 tool-result binding: the challenge as structuredContent and as its JSON text', async () => {
    const config: EngineConfig = {
      ...MCP,
      plans: [],
      defaultPlan: undefined,
      identity: { auth: 'key-auth', limitBy: 'consumer', anonymous: true, anonymousConsumer: 'anon' },
      payment: { x402: { price: '0.01', asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', network: 'eip155:84532', payTo: '0x3333333333333333333333333333333333333333' } },
    };
    const { engine } = await withCredits(config, 0);
    const refused = denied(await engine.decide({ ...post(`[${call(1, 'search')},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]`), consumer: { username: 'anon' } }));
    expect(refused.status).toBe(402);
    const challenge = JSON.parse(Buffer.from(refused.headers[PAYMENT_REQUIRED_HEADER] ?? '', 'base64').toString('utf8')) as unknown;
    const [tool, list] = JSON.parse(refused.body) as [{ result: { isError: boolean; structuredContent: unknown; content: { type: string; text: string }[] } }, { error: { code: number } }];
    expect(tool).toMatchObject({ jsonrpc: '2.0', id: 1, result: { isError: true } });
    expect(tool.result.structuredContent).toEqual(challenge);
    expect(tool.result.content).toEqual([{ type: 'text', text: JSON.stringify(challenge) }]);
    expect(list).toMatchObject({ jsonrpc: '2.0', id: 2, error: { code: 402, message: 'Payment required', data: { x402Version: 1 } } });
  });
});

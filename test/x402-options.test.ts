// x402 beyond one exact price, through the engine against a facilitator over HTTP that answers what
// each test sets and records every call: the offer checked against GET /supported at start-up
// (reported, never blocking), Permit2's allowance answer as 412 with the challenge, upto settling
// the route's price (or, on a metered route, the units its response states at pricePerUnit) and
// reporting it, and money exactness: a refused request or an upstream error
// settles nothing, a permit is accepted once even when sent twice at the same time.
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ANONYMOUS_CONSUMER } from '../packages/compiler/src/index.js';
import { createEngine, createMemoryStore, NO_OBSERVER, PAYMENT_RESPONSE_HEADER, systemClock, type Decision, type Engine, type EngineConfig, type OfferCheckLog } from '../packages/engine/src/index.js';
import { ScriptedJsonServer } from './support/scripted-http.js';
import { BASE_CONFIG, factsOf } from './support/vectors.js';

const HOST = 'api.example.com';
const PAYER = '0x857b06519E91e3A54538791bDbb0E22373e36b66';
const PAY_TO = '0x3333333333333333333333333333333333333333';
const USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const TOKEN = '0x4444444444444444444444444444444444444444';
const NETWORK = 'eip155:84532';
const SIGNER = '0x6666666666666666666666666666666666666666';

interface Call {
  readonly path: string;
  readonly body: { paymentRequirements?: Record<string, unknown> } | undefined;
}
let server: ScriptedJsonServer;
let url: string;
let calls: Call[];
let verifyAnswer: unknown;

beforeAll(async () => {
  server = await ScriptedJsonServer.start((request) => {
    const body = request.body === '' ? undefined : (JSON.parse(request.body) as Call['body']);
    calls.push({ path: request.path, body });
    const requirements = body?.paymentRequirements ?? {};
    const answers: Record<string, unknown> = {
      '/supported': { kinds: [{ x402Version: 2, scheme: 'exact', network: NETWORK }, { x402Version: 2, scheme: 'upto', network: NETWORK, extra: { facilitatorAddress: SIGNER } }], extensions: [], signers: {} },
      '/verify': verifyAnswer,
      '/settle': { success: true, transaction: `0x${'cd'.repeat(32)}`, network: requirements.network, payer: PAYER },
    };
    return { status: 200, body: answers[request.path] ?? {} };
  });
  url = server.url;
});
afterAll(() => server.close());
beforeEach(() => {
  calls = [];
  verifyAnswer = { isValid: true, payer: PAYER };
});

function policy(accepts: NonNullable<NonNullable<EngineConfig['payment']>['x402']>['accepts']): EngineConfig {
  return {
    ...BASE_CONFIG,
    policy: 'options',
    identity: { auth: 'key-auth', limitBy: 'consumer', anonymous: true, anonymousConsumer: ANONYMOUS_CONSUMER },
    payment: { x402: { payTo: PAY_TO, price: '0.01', routes: { history: '0.03' }, facilitator: url, accepts } },
  };
}

/** An exact Permit2 option and an upto one; a function since the facilitator's URL is known only once it listens. */
const paidOptions = () =>
  policy([
    { network: NETWORK, asset: TOKEN, extra: { assetTransferMethod: 'permit2' } },
    { scheme: 'upto', maxPrice: '0.5', network: NETWORK, asset: USDC, extra: { facilitatorAddress: SIGNER } },
  ]);

function engineFor(config: EngineConfig, checks: OfferCheckLog[] = []): Engine {
  const compiled = createEngine(config, createMemoryStore(), systemClock, { observer: { ...NO_OBSERVER, offerChecked: (log) => checks.push(log) } });
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.engine;
}

/** A v2 Permit2 payment for option `index` of the challenge on `path`. */
async function permitFor(engine: Engine, path: string, index: number, nonce: string): Promise<Record<string, string>> {
  const challenge = await engine.decide(request(path));
  const accepted = decodePaymentRequiredHeader(challenge.kind === 'deny' ? (challenge.headers['PAYMENT-REQUIRED'] ?? '') : '').accepts[index];
  const permit2Authorization = { from: PAYER, nonce, deadline: String(Math.floor(Date.now() / 1000) + 300), permitted: { token: accepted?.asset, amount: accepted?.amount }, witness: { to: PAY_TO, validAfter: '0' } };
  const payload = { x402Version: 2, accepted, payload: { signature: '0x22', permit2Authorization } };
  return { 'PAYMENT-SIGNATURE': Buffer.from(JSON.stringify(payload)).toString('base64') };
}

function request(path: string, headers: Record<string, string> = {}) {
  return factsOf({ method: 'GET', path, host: HOST, headers, consumer: ANONYMOUS_CONSUMER });
}

function followUpOf(decision: Decision) {
  if (decision.kind !== 'allow' || decision.followUp === undefined) throw new Error(`expected a paid allow, got ${decision.kind} ${decision.kind === 'deny' ? decision.body : ''}`);
  return decision.followUp;
}

const settles = () => calls.filter((c) => c.path === '/settle');

describe('the offer against GET /supported at start-up', () => {
  it('reports the options the facilitator does not take, and serves requests meanwhile', async () => {
    const checks: OfferCheckLog[] = [];
    const engine = engineFor(policy([{ network: NETWORK, asset: USDC }, { network: 'eip155:1', asset: USDC }]), checks);
    expect(await engine.decide(request('/v1/forecast'))).toMatchObject({ kind: 'deny', status: 402 });
    await expect.poll(() => checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ policy: 'options', outcome: 'unsupported', options: 2, unsupported: ["exact on eip155:1 is not among the facilitator's supported kinds"] });
  });

  it('reports a supported offer as such', async () => {
    const checks: OfferCheckLog[] = [];
    engineFor(paidOptions(), checks);
    await expect.poll(() => checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ outcome: 'supported', unsupported: [] });
  });
});

describe("Permit2's allowance", () => {
  it('answers 412 payment-allowance-required with the challenge; nothing settled, and the permit pays once approved', async () => {
    const engine = engineFor(paidOptions());
    const headers = await permitFor(engine, '/v1/forecast', 0, '1');
    verifyAnswer = { isValid: false, invalidReason: 'permit2_allowance_required', payer: PAYER };
    const refused = await engine.decide(request('/v1/forecast', headers));
    expect(refused).toMatchObject({ kind: 'deny', status: 412, reason: 'payment-allowance-required', headers: { 'Cache-Control': 'no-store' } });
    const challenge = decodePaymentRequiredHeader(refused.kind === 'deny' ? (refused.headers['PAYMENT-REQUIRED'] ?? '') : '');
    expect(challenge).toMatchObject({ error: 'permit2_allowance_required', accepts: [{ asset: TOKEN, extra: { assetTransferMethod: 'permit2' } }, { scheme: 'upto' }] });
    expect(JSON.parse(refused.kind === 'deny' ? refused.body : '{}')).toMatchObject({
      type: 'https://tollgate.dev/problems/payment-allowance-required',
      status: 412,
      paymentError: 'permit2_allowance_required',
      // What to approve before paying again: the canonical Permit2 contract, for the option's token.
      approve: { network: NETWORK, token: TOKEN, spender: '0x000000000022D473030F116dDEE9F6B43aC78BA3' },
    });
    verifyAnswer = { isValid: true, payer: PAYER };
    await engine.complete(followUpOf(await engine.decide(request('/v1/forecast', headers))), 200);
    expect(settles()).toHaveLength(1);
  });
});

describe('upto through the engine', () => {
  it("verifies the maximum, settles the route's price and reports it in PAYMENT-RESPONSE", async () => {
    const engine = engineFor(paidOptions());
    const followUp = followUpOf(await engine.decide(request('/v1/history', await permitFor(engine, '/v1/history', 1, '2'))));
    expect(calls.find((c) => c.path === '/verify')?.body?.paymentRequirements).toMatchObject({ scheme: 'upto', amount: '500000' });
    const completion = await engine.complete(followUp, 200);
    expect(settles().map((c) => c.body?.paymentRequirements?.amount)).toEqual(['30000']);
    expect(decodePaymentResponseHeader(completion.headers[PAYMENT_RESPONSE_HEADER] ?? '')).toMatchObject({ success: true, amount: '30000' });
  });

  it('settles a metered route at the units its response states times pricePerUnit, and at the route price when it states none', async () => {
    const config = policy([{ scheme: 'upto', maxPrice: '0.5', pricePerUnit: '0.001', network: NETWORK, asset: USDC, extra: { facilitatorAddress: SIGNER } }]);
    const engine = engineFor({ ...config, costs: { metered: { forecast: { estimate: 1, header: 'X-Cost-Units' } } } });
    const paid = await engine.decide(request('/v1/forecast', await permitFor(engine, '/v1/forecast', 0, '5')));
    expect(paid).toMatchObject({ kind: 'allow', observe: { header: 'x-cost-units' } });
    await engine.complete(followUpOf(paid), 200, { status: 200, header: '7' });
    const unstated = await engine.decide(request('/v1/forecast', await permitFor(engine, '/v1/forecast', 0, '6')));
    await engine.complete(followUpOf(unstated), 200, { status: 200 });
    // 7 units × 0.001 USDC = 7000 atomic units; without a stated cost, the route's price 0.01.
    expect(settles().map((c) => c.body?.paymentRequirements?.amount)).toEqual(['7000', '10000']);
  });

  it('settles nothing when the upstream failed, and the permit may be presented again', async () => {
    const engine = engineFor(paidOptions());
    const headers = await permitFor(engine, '/v1/forecast', 1, '3');
    expect((await engine.complete(followUpOf(await engine.decide(request('/v1/forecast', headers))), 502)).payment.kind).toBe('not-settled');
    expect(settles()).toEqual([]);
    await engine.complete(followUpOf(await engine.decide(request('/v1/forecast', headers))), 200);
    expect(settles()).toHaveLength(1);
  });
});

describe('exactness', () => {
  it('settles nothing for a payment the facilitator refused', async () => {
    const engine = engineFor(paidOptions());
    verifyAnswer = { isValid: false, invalidReason: 'invalid_permit2_signature', payer: PAYER };
    const refused = await engine.decide(request('/v1/forecast', await permitFor(engine, '/v1/forecast', 0, '4')));
    expect(refused).toMatchObject({ status: 402, reason: 'payment-invalid' });
    expect('followUp' in refused).toBe(false);
    expect(settles()).toEqual([]);
  });

  it('accepts a permit sent twice at once only once, and settles it once', async () => {
    const engine = engineFor(paidOptions());
    const headers = await permitFor(engine, '/v1/forecast', 0, '5');
    const decisions = await Promise.all([engine.decide(request('/v1/forecast', headers)), engine.decide(request('/v1/forecast', headers))]);
    expect(decisions.map((d) => (d.kind === 'allow' ? 'allow' : d.status)).sort()).toEqual([402, 'allow']);
    for (const decision of decisions) if (decision.kind === 'allow') await engine.complete(followUpOf(decision), 200);
    expect(settles()).toHaveLength(1);
  });
});

// x402 end to end in the engine, against the local facilitator process (real EIP-712 signature
// checks) and every store: a valid payment is allowed and settled only when the upstream answered
// < 400, never twice; refused payments get a 402 (a malformed one the transport spec's 400) with
// the reason and a fresh challenge; a facilitator
// that is down or slow gets a 503 within the verify timeout, never a hang.
import { createServer, type Server, type Socket } from 'node:net';
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS_CONSUMER } from '../packages/compiler/src/index.js';
import {
  createEngine,
  createMemoryStore,
  PAYMENT_RESPONSE_HEADER,
  systemClock,
  X_PAYMENT_RESPONSE_HEADER,
  type Allow,
  type Decision,
  type Deny,
  type Engine,
  type EngineConfig,
  type Store,
} from '../packages/engine/src/index.js';
import { freePort, redisStoresUnderTest } from './support/redis.js';
import { factsOf, type VectorRequest } from './support/vectors.js';
import { OTHER_PAYER_KEY, paymentHeader, paymentPayloadV1, paymentPayloadV2, testPayer, testRequirements, TEST_PAY_TO, type SignOptions } from './support/x402-client.js';
import { TEST_NETWORK } from './support/x402-exact.js';
import { FACILITATOR_REASONS } from './support/x402-facilitator.js';
import { nonceOf, x402Policy } from './support/x402-policy.js';
import { removeFacilitatorBundle, startFacilitatorProcess, type FacilitatorProcess } from './support/x402-facilitator-process.js';

const HOST = 'api.example.com';
const RESOURCE = `http://${HOST}/v1/forecast`;
const payer = testPayer();
const requirements = testRequirements();

let facilitator: FacilitatorProcess;
beforeAll(async () => {
  facilitator = await startFacilitatorProcess();
});
afterAll(async () => {
  await facilitator.stop();
  removeFacilitatorBundle();
});

function engineOn(store: Store, config: EngineConfig, verifyMs = 3000): Engine {
  const compiled = createEngine(config, store, systemClock, { facilitatorTimeouts: { verifyMs, settleMs: 3000 } });
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.engine;
}

async function v2Header(options: SignOptions = {}, accepted = requirements) {
  return paymentHeader(await paymentPayloadV2(payer, accepted, RESOURCE, options));
}

/** Without a consumer in `extra`: a caller without a key, as key-auth with `anonymous` hands it on. */
function request(header?: { name: string; value: string }, extra: Partial<VectorRequest> = {}) {
  return factsOf({ method: 'GET', path: '/v1/forecast', host: HOST, headers: header === undefined ? {} : { [header.name]: header.value }, consumer: ANONYMOUS_CONSUMER, ...extra });
}

function asAllow(decision: Decision): Allow {
  if (decision.kind !== 'allow') throw new Error(`expected an allow, got ${decision.status} ${decision.reason}: ${decision.body}`);
  return decision;
}

function asDeny(decision: Decision): Deny {
  if (decision.kind !== 'deny') throw new Error('expected a deny');
  return decision;
}

/** The refusal (402 payment-invalid, or 400 payment-malformed) with the reason and a fresh challenge in both generations. */
function expectRefusedPayment(decision: Decision, error: string, status: 400 | 402 = 402): void {
  const deny = asDeny(decision);
  const reason = status === 400 ? 'payment-malformed' : 'payment-invalid';
  expect(deny).toMatchObject({ status, reason, headers: { 'Cache-Control': 'no-store' } });
  expect(decodePaymentRequiredHeader(deny.headers['PAYMENT-REQUIRED'] ?? '')).toMatchObject({ x402Version: 2, error, accepts: [{ amount: '10000', payTo: TEST_PAY_TO }] });
  expect(JSON.parse(deny.body)).toMatchObject({ type: `https://tollgate.dev/problems/${reason}`, paymentError: error, x402Version: 1, error, accepts: [{ maxAmountRequired: '10000' }] });
}

async function settledNonces(): Promise<string[]> {
  return (await facilitator.settlements()).map((s) => s.nonce);
}

const STORES: { name: string; create(): Promise<Store> }[] = [{ name: 'memory', create: () => Promise.resolve(createMemoryStore()) }, ...redisStoresUnderTest()];

describe.each(STORES)('x402 through the engine ($name store)', (row) => {
  let store: Store;
  let engine: Engine;
  beforeAll(async () => {
    store = await row.create();
    engine = engineOn(store, x402Policy(facilitator.url));
  });
  afterAll(async () => {
    await store.close();
  });

  it('challenges an anonymous caller without a payment: 402 payment-required', async () => {
    const deny = asDeny(await engine.decide(request()));
    expect(deny).toMatchObject({ status: 402, reason: 'payment-required' });
    expect(decodePaymentRequiredHeader(deny.headers['PAYMENT-REQUIRED'] ?? '')).toMatchObject({ resource: { url: RESOURCE }, accepts: [{ scheme: 'exact', network: TEST_NETWORK }] });
  });

  it('allows a valid v2 payment, keeps it from the upstream, and settles it after a 200 with PAYMENT-RESPONSE', async () => {
    const header = await v2Header();
    const allow = asAllow(await engine.decide(request(header)));
    expect(allow.log).toMatchObject({ decision: 'allow', paid: true, payer: payer.address });
    expect(allow.upstream.removeHeaders).toEqual(expect.arrayContaining(['payment-signature', 'x-payment']));
    expect(await settledNonces()).not.toContain(nonceOf(header));
    const completion = await engine.complete(allow.followUp ?? { id: '' }, 200);
    expect(completion.payment.kind).toBe('settled');
    expect(completion.replace).toBeUndefined();
    expect(Object.keys(completion.headers)).toEqual([PAYMENT_RESPONSE_HEADER]);
    const response = decodePaymentResponseHeader(completion.headers[PAYMENT_RESPONSE_HEADER] ?? '');
    expect(response).toMatchObject({ success: true, payer: payer.address, network: TEST_NETWORK });
    expect(await settledNonces()).toContain(nonceOf(header));
  });

  it('allows a v1 X-PAYMENT payment and answers with PAYMENT-RESPONSE and X-PAYMENT-RESPONSE', async () => {
    const header = paymentHeader(await paymentPayloadV1(payer, requirements));
    const allow = asAllow(await engine.decide(request(header)));
    const completion = await engine.complete(allow.followUp ?? { id: '' }, 201);
    expect(completion.payment.kind).toBe('settled');
    expect(decodePaymentResponseHeader(completion.headers[X_PAYMENT_RESPONSE_HEADER] ?? '')).toMatchObject({ success: true, network: 'base-sepolia' });
    expect(completion.headers[PAYMENT_RESPONSE_HEADER]).toBe(completion.headers[X_PAYMENT_RESPONSE_HEADER]);
  });

  it('does not settle when the upstream answered >= 400, and the unspent payment may be presented again', async () => {
    const header = await v2Header();
    const first = asAllow(await engine.decide(request(header)));
    expect(await engine.complete(first.followUp ?? { id: '' }, 404)).toEqual({ hold: { kind: 'none' }, payment: { kind: 'not-settled' }, headers: {} });
    expect(await settledNonces()).not.toContain(nonceOf(header));
    const again = asAllow(await engine.decide(request(header)));
    expect((await engine.complete(again.followUp ?? { id: '' }, 200)).payment.kind).toBe('settled');
    expect((await settledNonces()).filter((n) => n === nonceOf(header))).toHaveLength(1);
  });

  it('refuses a replay: while the first request is in flight, and after it was settled', async () => {
    const header = await v2Header();
    const [a, b] = await Promise.all([engine.decide(request(header)), engine.decide(request(header))]);
    const decisions = [a, b];
    expect(decisions.filter((d) => d.kind === 'allow')).toHaveLength(1);
    expectRefusedPayment(decisions.find((d) => d.kind === 'deny') as Decision, 'payment_already_used');
    const allowed = asAllow(decisions.find((d) => d.kind === 'allow') as Decision);
    await engine.complete(allowed.followUp ?? { id: '' }, 200);
    const replay = await engine.decide(request(header));
    expect(asDeny(replay).status).toBe(402);
    expect(['payment_already_used', FACILITATOR_REASONS.transactionState]).toContain(JSON.parse(asDeny(replay).body).paymentError);
  });

  it.each<[string, () => Promise<{ name: string; value: string }>, string, 400 | 402]>([
    ['signed by another key', () => v2Header({ signer: testPayer(OTHER_PAYER_KEY) }), FACILITATOR_REASONS.signature, 402],
    ['for less than the price (authorisation value)', () => v2Header({ authorization: { value: '9999' } }), FACILITATOR_REASONS.value, 402],
    ['to another payee (authorisation)', () => v2Header({ authorization: { to: testPayer(OTHER_PAYER_KEY).address } }), FACILITATOR_REASONS.recipientMismatch, 402],
    ['accepting another amount', () => v2Header({}, testRequirements({ amount: '1' })), 'invalid_payment_requirements', 402],
    ['accepting another payee', () => v2Header({}, testRequirements({ payTo: testPayer(OTHER_PAYER_KEY).address })), 'invalid_payment_requirements', 402],
    ['on another network', () => v2Header({}, testRequirements({ network: 'eip155:8453' })), 'invalid_network', 402],
    ['not base64', () => Promise.resolve({ name: 'PAYMENT-SIGNATURE', value: '%%%not base64%%%' }), 'invalid_payload', 400],
    ['base64 of no JSON', () => Promise.resolve({ name: 'PAYMENT-SIGNATURE', value: Buffer.from('{nope').toString('base64') }), 'invalid_payload', 400],
    ['a v1 payload in the v2 header', async () => ({ name: 'PAYMENT-SIGNATURE', value: paymentHeader(await paymentPayloadV1(payer, requirements)).value }), 'invalid_x402_version', 400],
    ['a v2 payload without accepted requirements', () => Promise.resolve({ name: 'PAYMENT-SIGNATURE', value: Buffer.from(JSON.stringify({ x402Version: 2, payload: {} })).toString('base64') }), 'invalid_payload', 400],
  ])('refuses a payment %s: 400 when malformed, else 402, with the reason and a fresh challenge, nothing settled', async (_, build, reason, status) => {
    const before = (await facilitator.settlements()).length;
    expectRefusedPayment(await engine.decide(request(await build())), reason, status);
    expect(await facilitator.settlements()).toHaveLength(before);
  });

  it('lets a consumer whose plan refuses (no credits) pay instead, and ignores a payment when the plan allows', async () => {
    const consumer = { consumer: 'bob' };
    const header = await v2Header();
    const paid = asAllow(await engine.decide(request(header, consumer)));
    expect(paid.log).toMatchObject({ consumer: 'bob', paid: true });
    await store.changeCredits('bob', { operation: 'grant', amount: 5, now: Date.now() });
    const other = await v2Header();
    const planned = asAllow(await engine.decide(request(other, consumer)));
    expect(planned.log.paid).toBeUndefined();
    expect(planned.followUp).toBeUndefined();
  });

  it('answers 402 with PAYMENT-RESPONSE instead of the upstream answer when settlement fails', async () => {
    const header = await v2Header();
    const allow = asAllow(await engine.decide(request(header)));
    // Someone settles the same authorisation first (the token contract would refuse the second transfer).
    const payload = JSON.parse(Buffer.from(header.value, 'base64').toString('utf8')) as unknown;
    await fetch(`${facilitator.url}/settle`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x402Version: 2, paymentPayload: payload, paymentRequirements: requirements }) });
    const completion = await engine.complete(allow.followUp ?? { id: '' }, 200);
    expect(completion.payment.kind).toBe('failed');
    expect(completion.replace).toMatchObject({ status: 402, reason: 'payment-invalid' });
    expect(decodePaymentResponseHeader(completion.replace?.headers[PAYMENT_RESPONSE_HEADER] ?? '')).toMatchObject({ success: false, errorReason: FACILITATOR_REASONS.transactionState });
    expect(completion.replace?.headers['PAYMENT-REQUIRED']).toBeDefined();
  });
});

describe('x402 with a facilitator that is down or slow', () => {
  let silent: Server;
  let silentUrl: string;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = createServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    silentUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('answers 503 payment-unavailable with Retry-After at once when nothing listens', async () => {
    const engine = engineOn(createMemoryStore(), x402Policy(`http://127.0.0.1:${await freePort()}`));
    const deny = asDeny(await engine.decide(request(await v2Header())));
    expect(deny).toMatchObject({ status: 503, reason: 'payment-unavailable', headers: { 'Retry-After': '5' } });
    // What went wrong is the operator's to read (the decision log); the client gets a fixed code.
    expect(JSON.parse(deny.body).paymentError).toBe('facilitator_unavailable');
    expect(deny.log.error).toMatch(/\/verify: /);
  });

  it('answers 503 within the verify timeout when the facilitator hangs', async () => {
    const engine = engineOn(createMemoryStore(), x402Policy(silentUrl), 300);
    const started = performance.now();
    const deny = asDeny(await engine.decide(request(await v2Header())));
    const elapsed = performance.now() - started;
    expect(deny).toMatchObject({ status: 503, reason: 'payment-unavailable' });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
  });

  it('refuses payments when the offer names no facilitator (it cannot verify them)', async () => {
    const config = x402Policy('');
    const offer = { ...config.payment?.x402 };
    delete offer.facilitator;
    const engine = engineOn(createMemoryStore(), { ...config, payment: { x402: offer } });
    expectRefusedPayment(await engine.decide(request(await v2Header())), 'facilitator_not_configured');
  });
});

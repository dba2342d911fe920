// The local x402 facilitator, run as its own process and spoken to over HTTP as a gateway would:
// it must reject every kind of bad payment with the specification's reason, accept a correct
// one once, and never settle the same authorisation twice.
import { decodePaymentSignatureHeader } from '@x402/core/http';
import type { PaymentRequirements } from '@x402/core/types';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OTHER_PAYER_KEY,
  paymentHeader,
  paymentPayloadV1,
  paymentPayloadV2,
  signExactPayment,
  testPayer,
  testRequirements,
  toV1Requirements,
  TEST_PAY_TO,
  type SignOptions,
} from './support/x402-client.js';
import { FACILITATOR_REASONS } from './support/x402-facilitator.js';
import { removeFacilitatorBundle, startFacilitatorProcess, type FacilitatorProcess } from './support/x402-facilitator-process.js';

const RESOURCE = 'http://127.0.0.1/v1/forecast';
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

async function post(path: '/verify' | '/settle', body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${facilitator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function v2Request(options: SignOptions = {}, required: PaymentRequirements = requirements) {
  return { x402Version: 2, paymentPayload: await paymentPayloadV2(payer, required, RESOURCE, options), paymentRequirements: required };
}

describe('x402 facilitator: a correct payment', () => {
  it('verifies, settles once with a transaction hash, and lists the settlement', async () => {
    const request = await v2Request();
    expect(await post('/verify', request)).toEqual({ status: 200, body: { isValid: true, payer: payer.address } });
    const settled = await post('/settle', request);
    expect(settled.body).toMatchObject({ success: true, payer: payer.address, network: 'eip155:84532' });
    expect(settled.body.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    const nonce = (request.paymentPayload.payload as { authorization: { nonce: string } }).authorization.nonce;
    expect(await facilitator.settlements()).toContainEqual(expect.objectContaining({ nonce, value: '10000', payTo: TEST_PAY_TO, transaction: settled.body.transaction }));
  });

  it('rejects the replay of a settled authorisation, at verify and at settle', async () => {
    const request = await v2Request();
    expect((await post('/settle', request)).body.success).toBe(true);
    expect((await post('/verify', request)).body).toEqual({ isValid: false, invalidReason: FACILITATOR_REASONS.transactionState, payer: payer.address });
    expect((await post('/settle', request)).body).toMatchObject({ success: false, errorReason: FACILITATOR_REASONS.transactionState, transaction: '' });
  });

  it('settles concurrent deliveries of one authorisation exactly once', async () => {
    const request = await v2Request();
    const before = (await facilitator.settlements()).length;
    const results = await Promise.all(Array.from({ length: 6 }, () => post('/settle', request)));
    expect(results.filter((r) => r.body.success === true)).toHaveLength(1);
    expect(results.filter((r) => r.body.errorReason === FACILITATOR_REASONS.transactionState)).toHaveLength(5);
    expect(await facilitator.settlements()).toHaveLength(before + 1);
  });

  it('accepts a v1 X-PAYMENT payment against v1 requirements', async () => {
    const payload = await paymentPayloadV1(payer, requirements);
    const header = paymentHeader(payload);
    expect(header.name).toBe('X-PAYMENT');
    const decoded: unknown = JSON.parse(Buffer.from(header.value, 'base64').toString('utf8'));
    const request = { x402Version: 1, paymentPayload: decoded, paymentRequirements: toV1Requirements(requirements, RESOURCE) };
    expect((await post('/verify', request)).body).toEqual({ isValid: true, payer: payer.address });
    expect((await post('/settle', request)).body).toMatchObject({ success: true, network: 'base-sepolia' });
  });

  it('accepts a payload built by the official @x402/evm client', async () => {
    const result = await new ExactEvmScheme(payer).createPaymentPayload(2, requirements);
    const request = { x402Version: 2, paymentPayload: { ...result, accepted: requirements, resource: { url: RESOURCE } }, paymentRequirements: requirements };
    expect((await post('/verify', request)).body).toEqual({ isValid: true, payer: payer.address });
  });

  it('builds a PAYMENT-SIGNATURE header the x402 reference decoder reads back', async () => {
    const payload = await paymentPayloadV2(payer, requirements, RESOURCE);
    const header = paymentHeader(payload);
    expect(header.name).toBe('PAYMENT-SIGNATURE');
    expect(decodePaymentSignatureHeader(header.value)).toEqual(payload);
  });
});

describe('x402 facilitator: bad payments', () => {
  const now = Math.floor(Date.now() / 1000);

  it.each<[string, () => Promise<unknown>, string]>([
    ['signed by another key', () => v2Request({ signer: testPayer(OTHER_PAYER_KEY) }), FACILITATOR_REASONS.signature],
    ['to another payee', () => v2Request({ authorization: { to: testPayer(OTHER_PAYER_KEY).address } }), FACILITATOR_REASONS.recipientMismatch],
    ['for less than the price', () => v2Request({ authorization: { value: '9999' } }), FACILITATOR_REASONS.value],
    ['expired', () => v2Request({ authorization: { validAfter: String(now - 3600), validBefore: String(now - 1) } }), FACILITATOR_REASONS.validBefore],
    ['expiring before settlement could land', () => v2Request({ authorization: { validBefore: String(now + 2) } }), FACILITATOR_REASONS.validBefore],
    ['not yet valid', () => v2Request({ authorization: { validAfter: String(now + 3600), validBefore: String(now + 7200) } }), FACILITATOR_REASONS.validAfter],
  ])('rejects a payment %s', async (_, build, reason) => {
    const request = await build();
    expect((await post('/verify', request)).body).toEqual({ isValid: false, invalidReason: reason, payer: payer.address });
    expect((await post('/settle', request)).body).toMatchObject({ success: false, errorReason: reason, transaction: '' });
  });

  it('rejects an authorisation altered after signing (value raised)', async () => {
    const request = await v2Request();
    const payload = request.paymentPayload.payload as { authorization: { value: string } };
    payload.authorization.value = '20000';
    expect((await post('/verify', request)).body).toMatchObject({ isValid: false, invalidReason: FACILITATOR_REASONS.signature });
  });

  it('rejects a signature made for another token contract (EIP-712 domain)', async () => {
    const elsewhere = testRequirements({ asset: '0x0000000000000000000000000000000000000001' });
    const signed = await signExactPayment(payer, elsewhere);
    const request = await v2Request();
    request.paymentPayload.payload = { ...signed };
    expect((await post('/verify', request)).body).toMatchObject({ isValid: false, invalidReason: FACILITATOR_REASONS.signature });
  });

  it('rejects requirements the payer did not accept', async () => {
    const request = await v2Request();
    const other = { ...requirements, network: 'eip155:8453' };
    expect((await post('/verify', { ...request, paymentRequirements: other })).body).toMatchObject({ isValid: false, invalidReason: FACILITATOR_REASONS.requirements });
  });

  it.each<[string, (r: Awaited<ReturnType<typeof v2Request>>) => unknown, string]>([
    ['an unknown x402 version', (r) => ({ ...r, x402Version: 3 }), FACILITATOR_REASONS.version],
    ['an unsupported scheme', (r) => ({ ...r, paymentPayload: { ...r.paymentPayload, accepted: { ...requirements, scheme: 'upto' } }, paymentRequirements: { ...requirements, scheme: 'upto' } }), FACILITATOR_REASONS.unsupportedScheme],
    ['a network it does not serve', (r) => ({ ...r, paymentPayload: { ...r.paymentPayload, accepted: { ...requirements, network: 'eip155:1' } }, paymentRequirements: { ...requirements, network: 'eip155:1' } }), FACILITATOR_REASONS.network],
    ['a payload without an authorisation', (r) => ({ ...r, paymentPayload: { ...r.paymentPayload, payload: { signature: '0x12' } } }), FACILITATOR_REASONS.payload],
    ['requirements without the EIP-712 domain', (r) => ({ ...r, paymentRequirements: { ...requirements, extra: {} } }), FACILITATOR_REASONS.requirements],
    ['requirements with a malformed payee', (r) => ({ ...r, paymentRequirements: { ...requirements, payTo: '0xnot-an-address' } }), FACILITATOR_REASONS.requirements],
  ])('rejects %s', async (_, mutate, reason) => {
    expect((await post('/verify', mutate(await v2Request()))).body).toMatchObject({ isValid: false, invalidReason: reason });
  });

  it('answers 400 invalid_payload to a body that is not JSON', async () => {
    expect(await post('/verify', '{"x402Version":')).toEqual({ status: 400, body: { isValid: false, invalidReason: FACILITATOR_REASONS.payload } });
    expect((await post('/settle', 'nope')).status).toBe(400);
  });

  it('settled nothing for any rejected payment', async () => {
    const settled = await facilitator.settlements();
    expect(settled.every((s) => s.value === '10000' && s.payTo === TEST_PAY_TO && s.payer === payer.address)).toBe(true);
  });
});

describe('x402 facilitator: discovery', () => {
  it('lists the exact scheme for v2 and v1 on GET /supported', async () => {
    const body = (await (await fetch(`${facilitator.url}/supported`)).json()) as { kinds: unknown[] };
    expect(body.kinds).toEqual([
      { x402Version: 2, scheme: 'exact', network: 'eip155:84532' },
      { x402Version: 1, scheme: 'exact', network: 'base-sepolia' },
    ]);
  });
});

// The payment gate with a facilitator that answers what each test sets and records what it was
// sent, over the memory store: which option a payment pays, what upto settles (and reports), the
// Permit2 allowance answer, and replay keys per transfer method (a payment accepted once only).
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeFollowUp, encodeFollowUp } from '../follow-up.js';
import { NO_OBSERVER } from '../ops/observer.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { StoreCalls } from '../store-calls.js';
import type { Facilitator, Settlement, Verification } from './facilitator.js';
import { compileOffer, type RequirementsV1, type RequirementsV2 } from './offer.js';
import { PaymentGate, PERMIT2_ADDRESS, PERMIT2_ALLOWANCE_REQUIRED, type PaymentHold } from './payment-gate.js';
import { readPayment, type Payment } from './payment-header.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const DEADLINE = String(NOW / 1000 + 300);
const PAYER = '0x857b06519E91e3A54538791bDbb0E22373e36b66';
const PAY_TO = '0x3333333333333333333333333333333333333333';
const USDC = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const OTHER_TOKEN = '0x4444444444444444444444444444444444444444';
const NETWORK = 'eip155:84532';
const OFFER = compileOffer(
  {
    payTo: PAY_TO,
    price: '0.01',
    routes: { chat: '0.02' },
    accepts: [
      { network: NETWORK, asset: USDC, extra: { name: 'USDC', version: '2' } },
      { network: NETWORK, asset: OTHER_TOKEN, extra: { assetTransferMethod: 'permit2' } },
      { scheme: 'upto', maxPrice: '0.5', pricePerUnit: '0.0001', network: NETWORK, asset: USDC, extra: { facilitatorAddress: '0x6666666666666666666666666666666666666666' } },
    ],
  },
  'unit',
);

interface Sent {
  readonly payload: Readonly<Record<string, unknown>>;
  readonly requirements: RequirementsV1 | RequirementsV2;
}

let verdict: Verification;
let settlement: (requirements: RequirementsV1 | RequirementsV2) => Settlement;
let verified: Sent[];
let settled: Sent[];
const facilitator: Facilitator = {
  url: 'http://facilitator.test',
  supported: () => Promise.reject(new Error('not asked by the gate')),
  verify(payload, requirements) {
    verified.push({ payload, requirements });
    return Promise.resolve(verdict);
  },
  settle(payload, requirements) {
    settled.push({ payload, requirements });
    return Promise.resolve(settlement(requirements));
  },
};
let gate: PaymentGate;

beforeEach(() => {
  verdict = { kind: 'valid', payer: PAYER };
  settlement = (requirements) => ({ kind: 'settled', response: { success: true, transaction: `0x${'ab'.repeat(32)}`, network: requirements.network as `${string}:${string}`, payer: PAYER } });
  verified = [];
  settled = [];
  gate = new PaymentGate('unit', facilitator, new StoreCalls(createMemoryStore(), 50, NO_OBSERVER), undefined, NO_OBSERVER);
});

function requirementsOn(route: string | undefined) {
  if (OFFER === undefined) throw new Error('the offer does not compile');
  return OFFER.requirements(route, 'http://api.example.com/v1/chat');
}

/** A v2 payment accepting option `index` of the offer on `route`, with `inner` as its scheme payload. */
function paymentFor(index: number, inner: Record<string, unknown>, route?: string): Payment {
  const accepted = requirementsOn(route).accepts[index]?.v2;
  const header = Buffer.from(JSON.stringify({ x402Version: 2, accepted, payload: inner })).toString('base64');
  const read = readPayment({ 'payment-signature': header });
  if (read.kind !== 'payment') throw new Error(`the payment does not read: ${read.kind}`);
  return read.payment;
}

function eip3009(nonce: string) {
  return { signature: '0x11', authorization: { from: PAYER, to: PAY_TO, value: '10000', validAfter: '0', validBefore: DEADLINE, nonce } };
}

function permit2(nonce: string, token = OTHER_TOKEN) {
  return { signature: '0x22', permit2Authorization: { from: PAYER, spender: '0x402085c248EeA27D92E8b30b2C58ed07f9E20001', nonce, deadline: DEADLINE, permitted: { token, amount: '10000' }, witness: { to: PAY_TO, validAfter: '0' } } };
}

async function accepted(payment: Payment, route?: string): Promise<PaymentHold> {
  const admission = await gate.accept(payment, requirementsOn(route), route, NOW);
  if (admission.kind !== 'paid') throw new Error(`expected paid, got ${JSON.stringify(admission)}`);
  return admission.hold;
}

describe('which option a payment pays', () => {
  it('verifies against the option the payment accepted, priced for the route', async () => {
    await accepted(paymentFor(1, permit2('7'), 'chat'), 'chat');
    expect(verified[0]?.requirements).toMatchObject({ scheme: 'exact', asset: OTHER_TOKEN, amount: '20000' });
  });

  it("refuses a payment pinned to Permit2's option that carries an EIP-3009 payload, asking no facilitator", async () => {
    expect(await gate.accept(paymentFor(1, eip3009(`0x${'01'.repeat(32)}`)), requirementsOn(undefined), undefined, NOW)).toMatchObject({ kind: 'refused', reason: 'payment-invalid', paymentError: 'invalid_payload' });
    expect(verified).toEqual([]);
  });
});

describe("Permit2's allowance", () => {
  it('answers permit2_allowance_required as payment-allowance-required and keeps no claim: the same permit pays once approved', async () => {
    verdict = { kind: 'invalid', reason: PERMIT2_ALLOWANCE_REQUIRED, payer: PAYER };
    const payment = paymentFor(1, permit2('8'));
    expect(await gate.accept(payment, requirementsOn(undefined), undefined, NOW)).toEqual({
      kind: 'refused',
      reason: 'payment-allowance-required',
      paymentError: PERMIT2_ALLOWANCE_REQUIRED,
      error: PERMIT2_ALLOWANCE_REQUIRED,
      approve: { network: NETWORK, token: OTHER_TOKEN, spender: PERMIT2_ADDRESS },
    });
    verdict = { kind: 'valid', payer: PAYER };
    await accepted(payment);
  });

  it('keeps any other refusal a payment-invalid with the facilitator reason', async () => {
    verdict = { kind: 'invalid', reason: 'permit2_deadline_expired' };
    expect(await gate.accept(paymentFor(1, permit2('9')), requirementsOn(undefined), undefined, NOW)).toMatchObject({ reason: 'payment-invalid', paymentError: 'permit2_deadline_expired' });
  });
});

describe('upto', () => {
  const upto = (nonce: string) => paymentFor(2, { ...permit2(nonce, USDC), permit2Authorization: { ...permit2(nonce, USDC).permit2Authorization, permitted: { token: USDC, amount: '500000' } } });

  it("verifies the maximum, settles the route's price and reports the amount in PAYMENT-RESPONSE", async () => {
    const hold = await accepted(upto('100'), 'chat');
    expect(verified[0]?.requirements).toMatchObject({ scheme: 'upto', amount: '500000' });
    const result = await gate.settle(hold, 200);
    expect(settled[0]?.requirements).toMatchObject({ scheme: 'upto', amount: '20000' });
    expect(result).toMatchObject({ kind: 'settled', response: { success: true, amount: '20000' } });
    const header = result.kind === 'settled' ? result.headers['PAYMENT-RESPONSE'] : undefined;
    expect(JSON.parse(Buffer.from(header ?? '', 'base64').toString('utf8'))).toMatchObject({ amount: '20000' });
  });

  it.each([
    [0, '0'],
    [37, '3700'],
    [5000, '500000'],
    [5001, '500000'],
  ])('settles %i metered units at the price per unit, capped at the maximum: %s', async (units, amount) => {
    const hold = await accepted(upto(`2${String(units)}`));
    await gate.settle(hold, 200, units);
    expect(settled[0]?.requirements).toMatchObject({ amount });
  });

  it("keeps the facilitator's own amount when it reports one", async () => {
    settlement = (requirements) => ({ kind: 'settled', response: { success: true, transaction: '', network: requirements.network as `${string}:${string}`, amount: '0' } });
    expect(await gate.settle(await accepted(upto('300')), 200, 12)).toMatchObject({ response: { amount: '0' } });
  });

  it('settles nothing for an upstream error and lets the permit be presented again', async () => {
    const payment = upto('400');
    expect(await gate.settle(await accepted(payment), 500, 10)).toEqual({ kind: 'not-settled' });
    expect(settled).toEqual([]);
    await accepted(payment);
  });
});

describe('replay keys per transfer method', () => {
  it('EIP-3009: one authorisation nonce per payer and token', async () => {
    const nonce = `0x${'0a'.repeat(32)}`;
    await accepted(paymentFor(0, eip3009(nonce)));
    expect(await gate.accept(paymentFor(0, eip3009(nonce.toUpperCase().replace('0X', '0x'))), requirementsOn(undefined), undefined, NOW)).toMatchObject({ kind: 'refused', paymentError: 'payment_already_used' });
  });

  it('Permit2: one nonce per owner whatever the token and however the number is written', async () => {
    await accepted(paymentFor(1, permit2('255')));
    for (const other of [paymentFor(1, permit2('0xff')), paymentFor(2, permit2('255', USDC))]) {
      expect(await gate.accept(other, requirementsOn(undefined), undefined, NOW)).toMatchObject({ kind: 'refused', paymentError: 'payment_already_used' });
    }
    await accepted(paymentFor(1, permit2('256')));
  });

  it('ERC-7710: one redemption per delegation', async () => {
    const delegation = { delegationManager: '0xdB9B1e94B5b69Df7e401DDbedE43491141047dB3', delegator: PAYER, permissionContext: '0xc0ffee' };
    await accepted(paymentFor(0, delegation));
    expect(await gate.accept(paymentFor(0, { ...delegation, permissionContext: '0xC0FFEE' }), requirementsOn(undefined), undefined, NOW)).toMatchObject({ kind: 'refused', paymentError: 'payment_already_used' });
  });
});

describe('the follow-up an upto payment leaves', () => {
  it('is read back only with atomic amounts to settle', async () => {
    const hold = await accepted(paymentFor(2, permit2('500', USDC)));
    expect(decodeFollowUp(encodeFollowUp({ payment: hold }))?.payment).toEqual(hold);
    expect(decodeFollowUp(encodeFollowUp({ payment: { ...hold, upto: { price: '1e3' } } }))).toBeUndefined();
    expect(decodeFollowUp(encodeFollowUp({ payment: { ...hold, requirements: { ...hold.requirements, amount: '-1' } as PaymentHold['requirements'] } }))).toBeUndefined();
  });
});

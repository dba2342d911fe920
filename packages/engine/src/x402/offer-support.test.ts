// The start-up check of an offer against GET /supported: which options a facilitator's answer
// leaves out, upto's facilitator address, and what the observer hears when it cannot be asked.
import type { X402PaymentOption } from '@tollgate/policy/schema';
import type { SupportedResponse } from '@x402/core/types';
import { describe, expect, it } from 'vitest';
import { NO_OBSERVER, type OfferCheckLog } from '../ops/observer.js';
import type { Facilitator, Supported } from './facilitator.js';
import { checkOfferSupport, unsupportedOptions } from './offer-support.js';

const SIGNER = '0x6666666666666666666666666666666666666666';
const option = (members: Partial<X402PaymentOption>): X402PaymentOption => ({
  scheme: 'exact',
  network: 'eip155:84532',
  asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
  decimals: 6,
  payTo: '0x3333333333333333333333333333333333333333',
  maxTimeoutSeconds: 60,
  price: '0.01',
  ...members,
});
const SUPPORTED: SupportedResponse = {
  kinds: [
    { x402Version: 2, scheme: 'exact', network: 'eip155:84532' },
    { x402Version: 1, scheme: 'exact', network: 'eip155:8453' },
    { x402Version: 2, scheme: 'upto', network: 'eip155:84532', extra: { facilitatorAddress: SIGNER } },
  ],
  extensions: [],
  signers: { 'eip155:*': ['0x7777777777777777777777777777777777777777'] },
};

describe('unsupportedOptions', () => {
  it('accepts options whose scheme and network are a v2 kind, upto with an address the facilitator gives (any case)', () => {
    expect(unsupportedOptions([option({}), option({ scheme: 'upto', extra: { facilitatorAddress: SIGNER.toUpperCase().replace('0X', '0x') } })], SUPPORTED)).toEqual([]);
    expect(unsupportedOptions([option({ scheme: 'upto', extra: { facilitatorAddress: '0x7777777777777777777777777777777777777777' } })], SUPPORTED)).toEqual([]);
  });

  it('names each option the facilitator does not take: another network, a v1-only kind, an unknown upto address', () => {
    const problems = unsupportedOptions(
      [option({ network: 'eip155:1' }), option({ network: 'eip155:8453' }), option({ scheme: 'upto', extra: { facilitatorAddress: '0x8888888888888888888888888888888888888888' } })],
      SUPPORTED,
    );
    expect(problems).toEqual([
      "exact on eip155:1 is not among the facilitator's supported kinds",
      "exact on eip155:8453 is not among the facilitator's supported kinds",
      "upto on eip155:84532: extra.facilitatorAddress 0x8888888888888888888888888888888888888888 is none of the facilitator's addresses (clients would sign permits it cannot settle)",
    ]);
  });
});

describe('checkOfferSupport', () => {
  async function checked(answer: Supported, options: readonly X402PaymentOption[]): Promise<OfferCheckLog[]> {
    const logs: OfferCheckLog[] = [];
    const facilitator: Facilitator = {
      url: 'https://facilitator.test',
      supported: () => Promise.resolve(answer),
      verify: () => Promise.reject(new Error('not asked')),
      settle: () => Promise.reject(new Error('not asked')),
    };
    await checkOfferSupport('p', options, facilitator, { ...NO_OBSERVER, offerChecked: (log) => logs.push(log) });
    return logs;
  }

  it('reports supported, unsupported with the reasons, or unchecked with the error', async () => {
    expect(await checked({ kind: 'answered', response: SUPPORTED }, [option({})])).toEqual([{ policy: 'p', facilitator: 'https://facilitator.test', outcome: 'supported', options: 1, unsupported: [] }]);
    expect(await checked({ kind: 'answered', response: SUPPORTED }, [option({}), option({ network: 'eip155:1' })])).toMatchObject([{ outcome: 'unsupported', options: 2, unsupported: [expect.stringContaining('eip155:1')] }]);
    expect(await checked({ kind: 'unavailable', error: 'connect ECONNREFUSED' }, [option({})])).toMatchObject([{ outcome: 'unchecked', error: 'connect ECONNREFUSED' }]);
  });
});

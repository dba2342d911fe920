// The pay-per-request policy the x402 suites run through the engine, Kong and APISIX: anonymous
// callers allowed (key-auth hands them on as the compiler's anonymous consumer), a prepaid plan (so consumers without credits get 402), and an offer of 0.01
// test USDC on Base Sepolia to the test payee, verified by the given facilitator.
import { ANONYMOUS_CONSUMER } from '../../packages/compiler/src/index.js';
import type { EngineConfig } from '../../packages/engine/src/index.js';
import { BASE_CONFIG } from './vectors.js';
import { TEST_PAY_TO } from './x402-client.js';
import { TEST_ASSET, TEST_ASSET_DOMAIN, TEST_NETWORK } from './x402-exact.js';

export function x402Policy(facilitatorUrl: string, members: Partial<EngineConfig> = {}): EngineConfig {
  return {
    ...BASE_CONFIG,
    policy: 'paid',
    identity: { auth: 'key-auth', limitBy: 'consumer', anonymous: true, anonymousConsumer: ANONYMOUS_CONSUMER },
    plans: [{ name: 'prepaid', plan: { credits: true } }],
    defaultPlan: 'prepaid',
    payment: { x402: { price: '0.01', asset: TEST_ASSET, network: TEST_NETWORK, payTo: TEST_PAY_TO, facilitator: facilitatorUrl, extra: { ...TEST_ASSET_DOMAIN } } },
    ...members,
  };
}

/** The EIP-3009 nonce inside a payment header: what the facilitator lists among its settlements. */
export function nonceOf(header: { readonly value: string }): string {
  const decoded = JSON.parse(Buffer.from(header.value, 'base64').toString('utf8')) as { payload: { authorization: { nonce: string } } };
  return decoded.payload.authorization.nonce;
}

/** A policy that holds one request of quota per month with chargeOn success: the second admitted request shows whether the first was given back. */
export function oneRequestOnSuccess(base: EngineConfig, policy: string): EngineConfig {
  return {
    ...base,
    policy,
    identity: { auth: 'key-auth', limitBy: 'consumer' },
    plans: [{ name: 'one', plan: { quota: { requests: 1, per: 'month' } } }],
    defaultPlan: 'one',
    costs: { chargeOn: 'success' },
    payment: undefined,
  };
}

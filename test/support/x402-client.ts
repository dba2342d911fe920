// The paying side of x402 for tests: signs an EIP-3009 TransferWithAuthorization with a test key
// (EIP-712, viem) and wraps it as a v2 `PAYMENT-SIGNATURE` or v1 `X-PAYMENT` header, exactly as
// an x402 client sends it. Authorisation fields can be overridden to build invalid payments.
import { randomBytes } from 'node:crypto';
import { encodePaymentSignatureHeader } from '@x402/core/http';
import type { PaymentPayload, PaymentRequirements } from '@x402/core/types';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import type { Address, Hex } from 'viem';
import { chainIdOf, TEST_ASSET, TEST_ASSET_DOMAIN, TEST_NETWORK, TEST_NETWORK_V1, TRANSFER_WITH_AUTHORIZATION_TYPES, type Authorization, type ExactEvmPayload } from './x402-exact.js';

/** Well-known development keys (Hardhat/Anvil accounts #0 and #1): never hold real funds. */
export const TEST_PAYER_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
export const OTHER_PAYER_KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
/** Anvil account #2's address: a payee nobody signs for in tests. */
export const TEST_PAY_TO: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

export const PAYMENT_SIGNATURE_HEADER = 'PAYMENT-SIGNATURE';
export const X_PAYMENT_HEADER = 'X-PAYMENT';

/** v1 wire shapes (@x402/core's v1 typings declare `network` as CAIP-2, which v1 does not use). */
export interface PaymentRequirementsV1 {
  readonly scheme: string;
  readonly network: string;
  readonly maxAmountRequired: string;
  readonly resource: string;
  readonly description: string;
  readonly mimeType?: string;
  readonly payTo: string;
  readonly maxTimeoutSeconds: number;
  readonly asset: string;
  readonly extra?: Record<string, unknown>;
}

export interface PaymentPayloadV1 {
  readonly x402Version: 1;
  readonly scheme: string;
  readonly network: string;
  readonly payload: Record<string, unknown>;
}

export function testPayer(key: Hex = TEST_PAYER_KEY): PrivateKeyAccount {
  return privateKeyToAccount(key);
}

/** v2 requirements for the exact scheme on the test network; 10000 = 0.01 USDC. */
export function testRequirements(overrides: Partial<PaymentRequirements> = {}): PaymentRequirements {
  return {
    scheme: 'exact',
    network: TEST_NETWORK,
    amount: '10000',
    asset: TEST_ASSET,
    payTo: TEST_PAY_TO,
    maxTimeoutSeconds: 60,
    extra: { ...TEST_ASSET_DOMAIN },
    ...overrides,
  };
}

/** The same offer in v1 form (v1 network name, `maxAmountRequired`, per-offer resource). */
export function toV1Requirements(requirements: PaymentRequirements, resource: string, description = ''): PaymentRequirementsV1 {
  return {
    scheme: requirements.scheme,
    network: requirements.network === TEST_NETWORK ? TEST_NETWORK_V1 : requirements.network,
    maxAmountRequired: requirements.amount,
    resource,
    description,
    mimeType: 'application/json',
    payTo: requirements.payTo,
    maxTimeoutSeconds: requirements.maxTimeoutSeconds,
    asset: requirements.asset,
    extra: requirements.extra,
  };
}

export interface SignOptions {
  /** Epoch seconds; default now. */
  readonly now?: number;
  /** Replace fields of the authorisation before signing (wrong payee, small value, old window, reused nonce). */
  readonly authorization?: Partial<Authorization>;
  /** Sign with this account instead (the signature then doesn't match `authorization.from`). */
  readonly signer?: PrivateKeyAccount;
}

/** Signs the TransferWithAuthorization an exact-EVM payment carries. */
export async function signExactPayment(payer: PrivateKeyAccount, requirements: PaymentRequirements, options: SignOptions = {}): Promise<ExactEvmPayload> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const authorization: Authorization = {
    from: payer.address,
    to: requirements.payTo as Address,
    value: requirements.amount,
    // Ten minutes back, as x402 clients do, so a payee's clock running behind still accepts it.
    validAfter: String(now - 600),
    validBefore: String(now + requirements.maxTimeoutSeconds),
    nonce: `0x${randomBytes(32).toString('hex')}`,
    ...options.authorization,
  };
  const chainId = chainIdOf(requirements.network);
  if (chainId === undefined) throw new Error(`not an EVM network: ${requirements.network}`);
  const { name, version } = requirements.extra as { name: string; version: string };
  const signature = await (options.signer ?? payer).signTypedData({
    domain: { name, version, chainId, verifyingContract: requirements.asset as Address },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: 'TransferWithAuthorization',
    message: {
      ...authorization,
      value: BigInt(authorization.value),
      validAfter: BigInt(authorization.validAfter),
      validBefore: BigInt(authorization.validBefore),
    },
  });
  return { signature, authorization };
}

export async function paymentPayloadV2(payer: PrivateKeyAccount, requirements: PaymentRequirements, resourceUrl: string, options: SignOptions = {}): Promise<PaymentPayload> {
  return {
    x402Version: 2,
    resource: { url: resourceUrl, description: '', mimeType: 'application/json' },
    accepted: requirements,
    payload: { ...(await signExactPayment(payer, requirements, options)) },
  };
}

export async function paymentPayloadV1(payer: PrivateKeyAccount, requirements: PaymentRequirements, options: SignOptions = {}): Promise<PaymentPayloadV1> {
  return {
    x402Version: 1,
    scheme: requirements.scheme,
    network: requirements.network === TEST_NETWORK ? TEST_NETWORK_V1 : requirements.network,
    payload: { ...(await signExactPayment(payer, requirements, options)) },
  };
}

/** The request header carrying a payment: `PAYMENT-SIGNATURE` for v2, `X-PAYMENT` for v1 (base64 JSON). */
export function paymentHeader(payload: PaymentPayload | PaymentPayloadV1): { readonly name: string; readonly value: string } {
  if (payload.x402Version === 2) return { name: PAYMENT_SIGNATURE_HEADER, value: encodePaymentSignatureHeader(payload) };
  return { name: X_PAYMENT_HEADER, value: Buffer.from(JSON.stringify(payload), 'utf8').toString('base64') };
}

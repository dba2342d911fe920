// What the local x402 facilitator and the test client agree on for the `exact` scheme on EVM:
// the test network and token, how v1 network names map to chain ids, and the EIP-3009
// authorisation carried in a payment payload.
import { authorizationTypes } from '@x402/evm';
import { EVM_NETWORK_CHAIN_ID_MAP } from '@x402/evm/v1';
import type { Address, Hex } from 'viem';

/** Base Sepolia, and its USDC contract with the EIP-712 domain USDC signs under. */
export const TEST_NETWORK = 'eip155:84532';
export const TEST_NETWORK_V1 = 'base-sepolia';
export const TEST_ASSET: Address = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
export const TEST_ASSET_DOMAIN = { name: 'USDC', version: '2' } as const;

export const TRANSFER_WITH_AUTHORIZATION_TYPES = authorizationTypes;

/** The EIP-3009 `transferWithAuthorization` arguments, as the wire carries them (decimal strings). */
export interface Authorization {
  readonly from: Address;
  readonly to: Address;
  readonly value: string;
  readonly validAfter: string;
  readonly validBefore: string;
  readonly nonce: Hex;
}

export interface ExactEvmPayload {
  readonly signature: Hex;
  readonly authorization: Authorization;
}

/** Chain id of a v2 CAIP-2 network (`eip155:84532`) or a v1 network name (`base-sepolia`). */
export function chainIdOf(network: string): number | undefined {
  const caip = /^eip155:(\d+)$/.exec(network);
  if (caip !== null) return Number(caip[1]);
  return Object.hasOwn(EVM_NETWORK_CHAIN_ID_MAP, network) ? EVM_NETWORK_CHAIN_ID_MAP[network as keyof typeof EVM_NETWORK_CHAIN_ID_MAP] : undefined;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const NONCE = /^0x[0-9a-fA-F]{64}$/;
const SIGNATURE = /^0x[0-9a-fA-F]+$/;
const UINT = /^\d{1,78}$/;

/** The `payload` member of an exact-EVM payment, or undefined when it is not one. */
export function readExactPayload(value: unknown): ExactEvmPayload | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { signature, authorization } = value as Record<string, unknown>;
  if (typeof signature !== 'string' || !SIGNATURE.test(signature) || typeof authorization !== 'object' || authorization === null) return undefined;
  const a = authorization as Record<string, unknown>;
  const text = (name: string, pattern: RegExp) => typeof a[name] === 'string' && pattern.test(a[name]);
  if (!text('from', ADDRESS) || !text('to', ADDRESS) || !text('nonce', NONCE)) return undefined;
  if (!text('value', UINT) || !text('validAfter', UINT) || !text('validBefore', UINT)) return undefined;
  return { signature: signature as Hex, authorization: a as unknown as Authorization };
}

// A local x402 facilitator for tests: POST /verify, POST /settle and GET /supported for the
// `exact` scheme on EVM networks, with real EIP-712 signature verification of the EIP-3009
// TransferWithAuthorization a payer signed (viem), the payee, amount and validity window checks,
// and replay protection by nonce.
//
// There is no chain: settling does not move tokens. It records the authorisation's nonce (so the
// same authorisation can never settle twice, as the token contract would enforce) and returns a
// transaction hash derived from the signature. Balances are not checked unless `balances` is given.
// GET /settlements lists what was settled, so tests can assert that a payment was (or was not) charged.
// Like a hosted facilitator, the server can require a credential header on /verify and /settle.
// It can also serve an open redirect, the flaw a site may have somewhere on its origin, to test
// that the operator's headers never follow a policy's URL through one.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { PaymentPayloadV1Schema, PaymentPayloadV2Schema, PaymentRequirementsV1Schema, PaymentRequirementsV2Schema } from '@x402/core/schemas';
import { getAddress, keccak256, verifyTypedData, type Address, type Hex } from 'viem';
import { chainIdOf, readExactPayload, TEST_NETWORK, TEST_NETWORK_V1, TRANSFER_WITH_AUTHORIZATION_TYPES, type ExactEvmPayload } from './x402-exact.js';

/** Reasons from the x402 specification's error list (§9). */
export const FACILITATOR_REASONS = {
  insufficientFunds: 'insufficient_funds',
  validAfter: 'invalid_exact_evm_payload_authorization_valid_after',
  validBefore: 'invalid_exact_evm_payload_authorization_valid_before',
  value: 'invalid_exact_evm_payload_authorization_value',
  signature: 'invalid_exact_evm_payload_signature',
  recipientMismatch: 'invalid_exact_evm_payload_recipient_mismatch',
  network: 'invalid_network',
  payload: 'invalid_payload',
  requirements: 'invalid_payment_requirements',
  scheme: 'invalid_scheme',
  unsupportedScheme: 'unsupported_scheme',
  version: 'invalid_x402_version',
  /** The authorisation's nonce was already settled (a replay). */
  transactionState: 'invalid_transaction_state',
} as const;
export type FacilitatorReason = (typeof FACILITATOR_REASONS)[keyof typeof FACILITATOR_REASONS];

/** An authorisation must stay valid this long after verification, for settlement to land. */
export const VALID_BEFORE_MARGIN_SECONDS = 6;
const MAX_BODY_BYTES = 64 * 1024;

export interface FacilitatorOptions {
  /** CAIP-2 networks served; default the test network (Base Sepolia). */
  readonly networks?: readonly string[];
  /** Current time in epoch seconds; default the system clock. */
  readonly now?: () => number;
  /** Token balances per payer address (atomic units); absent: balances are not checked. */
  readonly balances?: ReadonlyMap<Address, bigint>;
}

export interface Settlement {
  readonly transaction: Hex;
  readonly network: string;
  readonly payer: Address;
  readonly payTo: Address;
  readonly value: string;
  readonly nonce: Hex;
}

export type Verification =
  | { readonly isValid: true; readonly payer: Address }
  | { readonly isValid: false; readonly invalidReason: FacilitatorReason; readonly payer?: Address };

export type SettleResult =
  | { readonly success: true; readonly payer: Address; readonly transaction: Hex; readonly network: string }
  | { readonly success: false; readonly errorReason: FacilitatorReason; readonly payer?: Address; readonly transaction: ''; readonly network: string };

export interface Facilitator {
  verify(body: unknown): Promise<Verification>;
  settle(body: unknown): Promise<SettleResult>;
  supported(): unknown;
  readonly settlements: readonly Settlement[];
}

/** A payment checked for form, with what the checks need. */
interface Checked {
  readonly network: string;
  readonly chainId: number;
  readonly payTo: Address;
  readonly asset: Address;
  readonly required: bigint;
  readonly domain: { readonly name: string; readonly version: string };
  readonly exact: ExactEvmPayload;
}

export function createFacilitator(options: FacilitatorOptions = {}): Facilitator {
  const networks = new Set(options.networks ?? [TEST_NETWORK]);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const balances = options.balances === undefined ? undefined : new Map(options.balances);
  /** Settled nonces per (chain, token, payer): EIP-3009 nonces are unique per authoriser and token. */
  const usedNonces = new Set<string>();
  const settlements: Settlement[] = [];
  const nonceKey = (c: Checked) => `${c.chainId}|${c.asset.toLowerCase()}|${c.exact.authorization.from.toLowerCase()}|${c.exact.authorization.nonce.toLowerCase()}`;

  async function check(body: unknown): Promise<{ readonly checked: Checked; readonly verification: Verification } | { readonly verification: Verification }> {
    const form = checkForm(body, networks);
    if ('invalid' in form) return { verification: { isValid: false, invalidReason: form.invalid, ...(form.payer === undefined ? {} : { payer: form.payer }) } };
    const checked = form;
    const { authorization, signature } = checked.exact;
    const payer = getAddress(authorization.from);
    const fail = (invalidReason: FacilitatorReason) => ({ checked, verification: { isValid: false as const, invalidReason, payer } });
    const signed = await verifyTypedData({
      address: payer,
      domain: { ...checked.domain, chainId: checked.chainId, verifyingContract: checked.asset },
      types: TRANSFER_WITH_AUTHORIZATION_TYPES,
      primaryType: 'TransferWithAuthorization',
      message: {
        from: authorization.from,
        to: authorization.to,
        value: BigInt(authorization.value),
        validAfter: BigInt(authorization.validAfter),
        validBefore: BigInt(authorization.validBefore),
        nonce: authorization.nonce,
      },
      signature,
    }).catch(() => false);
    if (!signed) return fail(FACILITATOR_REASONS.signature);
    if (getAddress(authorization.to) !== checked.payTo) return fail(FACILITATOR_REASONS.recipientMismatch);
    const t = BigInt(now());
    if (BigInt(authorization.validBefore) < t + BigInt(VALID_BEFORE_MARGIN_SECONDS)) return fail(FACILITATOR_REASONS.validBefore);
    if (BigInt(authorization.validAfter) > t) return fail(FACILITATOR_REASONS.validAfter);
    if (BigInt(authorization.value) < checked.required) return fail(FACILITATOR_REASONS.value);
    if (usedNonces.has(nonceKey(checked))) return fail(FACILITATOR_REASONS.transactionState);
    if (balances !== undefined && (balances.get(payer) ?? 0n) < BigInt(authorization.value)) return fail(FACILITATOR_REASONS.insufficientFunds);
    return { checked, verification: { isValid: true, payer } };
  }

  return {
    settlements,
    verify: async (body) => (await check(body)).verification,
    async settle(body) {
      const result = await check(body);
      const network = 'checked' in result ? result.checked.network : networkOf(body);
      const { verification } = result;
      if (!verification.isValid || !('checked' in result)) {
        const reason = verification.isValid ? FACILITATOR_REASONS.payload : verification.invalidReason;
        return { success: false, errorReason: reason, ...(verification.payer === undefined ? {} : { payer: verification.payer }), transaction: '', network };
      }
      const { checked } = result;
      const key = nonceKey(checked);
      // Re-checked synchronously after the await above: two settles of one nonce can't both pass.
      if (usedNonces.has(key)) return { success: false, errorReason: FACILITATOR_REASONS.transactionState, payer: verification.payer, transaction: '', network };
      usedNonces.add(key);
      const { authorization, signature } = checked.exact;
      if (balances !== undefined) balances.set(verification.payer, (balances.get(verification.payer) ?? 0n) - BigInt(authorization.value));
      const transaction = keccak256(signature);
      settlements.push({ transaction, network, payer: verification.payer, payTo: checked.payTo, value: authorization.value, nonce: authorization.nonce });
      return { success: true, payer: verification.payer, transaction, network };
    },
    supported: () => ({
      kinds: [...networks].flatMap((network) => [
        { x402Version: 2, scheme: 'exact', network },
        ...(network === TEST_NETWORK ? [{ x402Version: 1, scheme: 'exact', network: TEST_NETWORK_V1 }] : []),
      ]),
      extensions: [],
      signers: {},
    }),
  };
}

type Form = Checked | { readonly invalid: FacilitatorReason; readonly payer?: Address };

/** Shape, version, scheme and network checks; everything a signature check needs. */
function checkForm(body: unknown, networks: ReadonlySet<string>): Form {
  if (typeof body !== 'object' || body === null) return { invalid: FACILITATOR_REASONS.payload };
  const { x402Version, paymentPayload, paymentRequirements } = body as Record<string, unknown>;
  if (x402Version !== 1 && x402Version !== 2) return { invalid: FACILITATOR_REASONS.version };
  const exact = readExactPayload((paymentPayload as { payload?: unknown } | undefined)?.payload);
  const payer = exact === undefined ? undefined : getAddress(exact.authorization.from);
  const invalid = (reason: FacilitatorReason): Form => ({ invalid: reason, ...(payer === undefined ? {} : { payer }) });

  let scheme: string, network: string, required: string, requirements: { scheme: string; network: string; payTo: string; asset: string; extra?: Record<string, unknown> | null | undefined };
  if (x402Version === 2) {
    const payload = PaymentPayloadV2Schema.safeParse(paymentPayload);
    if (!payload.success) return invalid(FACILITATOR_REASONS.payload);
    const parsed = PaymentRequirementsV2Schema.safeParse(paymentRequirements);
    if (!parsed.success) return invalid(FACILITATOR_REASONS.requirements);
    requirements = parsed.data;
    // The payer signed for what it accepted; it must be what the resource server requires now.
    const accepted = payload.data.accepted;
    if (accepted.scheme !== requirements.scheme || accepted.network !== requirements.network) return invalid(FACILITATOR_REASONS.requirements);
    ({ scheme, network } = accepted);
    required = parsed.data.amount;
  } else {
    const payload = PaymentPayloadV1Schema.safeParse(paymentPayload);
    if (!payload.success) return invalid(FACILITATOR_REASONS.payload);
    const parsed = PaymentRequirementsV1Schema.safeParse(paymentRequirements);
    if (!parsed.success) return invalid(FACILITATOR_REASONS.requirements);
    requirements = parsed.data;
    if (payload.data.scheme !== requirements.scheme || payload.data.network !== requirements.network) return invalid(FACILITATOR_REASONS.requirements);
    ({ scheme, network } = payload.data);
    required = parsed.data.maxAmountRequired;
  }
  if (scheme !== 'exact') return invalid(FACILITATOR_REASONS.unsupportedScheme);
  const chainId = chainIdOf(network);
  if (chainId === undefined || !networks.has(`eip155:${chainId}`)) return invalid(FACILITATOR_REASONS.network);
  if (exact === undefined) return invalid(FACILITATOR_REASONS.payload);
  const { name, version } = requirements.extra ?? {};
  if (typeof name !== 'string' || typeof version !== 'string' || !/^\d{1,78}$/.test(required)) return invalid(FACILITATOR_REASONS.requirements);
  let payTo: Address, asset: Address;
  try {
    payTo = getAddress(requirements.payTo);
    asset = getAddress(requirements.asset);
  } catch {
    return invalid(FACILITATOR_REASONS.requirements);
  }
  return { network, chainId, payTo, asset, required: BigInt(required), domain: { name, version }, exact };
}

function networkOf(body: unknown): string {
  const requirements = (body as { paymentRequirements?: { network?: unknown } } | null)?.paymentRequirements;
  return typeof requirements?.network === 'string' ? requirements.network : '';
}

/** A header a request must carry with exactly this value, e.g. `Authorization: Bearer t`. */
export interface RequiredHeader {
  readonly name: string;
  readonly value: string;
}

/** `Name: value` (as on the wire) as a RequiredHeader. */
export function parseRequiredHeader(line: string): RequiredHeader {
  const colon = line.indexOf(':');
  if (colon <= 0) throw new Error(`expected "Name: value", got "${line}"`);
  return { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() };
}

export interface ServerOptions {
  /** Without it (or with another value) /verify and /settle answer 401 with a JSON error body, as hosted facilitators do. */
  readonly requiredHeader?: RequiredHeader;
  /** Any request to /redirect?to=<URL> or /redirect/<percent-encoded URL>/<rest> answers 307 to <URL> or <URL>/<rest>. */
  readonly openRedirect?: boolean;
}

/** The facilitator's HTTP API, as hosted facilitators serve it. */
export function createFacilitatorServer(facilitator: Facilitator, options: ServerOptions = {}): Server {
  return createServer((req, res) => void route(facilitator, options, req, res));
}

async function route(facilitator: Facilitator, options: ServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const location = options.openRedirect === true ? redirectTarget(req) : undefined;
  if (location !== undefined) {
    // 307 keeps the method and body: fetch sends the POST on, with its headers, to the new place.
    res.writeHead(307, { location });
    res.end();
    return;
  }
  const [status, body] = await answer(facilitator, options, req);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function answer(facilitator: Facilitator, options: ServerOptions, req: IncomingMessage): Promise<[number, unknown]> {
  const path = new URL(req.url ?? '/', 'http://facilitator.invalid').pathname;
  if (req.method === 'GET' && path === '/supported') return [200, facilitator.supported()];
  if (req.method === 'GET' && path === '/settlements') return [200, facilitator.settlements];
  if (req.method !== 'POST' || (path !== '/verify' && path !== '/settle')) return [404, { error: `no ${req.method ?? ''} ${path}` }];
  const required = options.requiredHeader;
  if (required !== undefined && req.headers[required.name.toLowerCase()] !== required.value) return [401, { error: 'unauthorized', message: `missing or wrong ${required.name}` }];
  const body = await readJson(req);
  if (body === undefined) {
    return [400, path === '/verify' ? { isValid: false, invalidReason: FACILITATOR_REASONS.payload } : { success: false, errorReason: FACILITATOR_REASONS.payload, transaction: '', network: '' }];
  }
  return [200, path === '/verify' ? await facilitator.verify(body) : await facilitator.settle(body)];
}

function redirectTarget(req: IncomingMessage): string | undefined {
  const url = new URL(req.url ?? '/', 'http://facilitator.invalid');
  const to = url.searchParams.get('to');
  if (url.pathname === '/redirect' && to !== null) return to;
  const [, first, target, ...rest] = url.pathname.split('/');
  return first === 'redirect' && target !== undefined && target !== '' ? [decodeURIComponent(target), ...rest].join('/') : undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

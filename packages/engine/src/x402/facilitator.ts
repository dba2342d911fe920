// The facilitator the offer names, spoken to with @x402/core's HTTPFacilitatorClient: one attempt
// per call (no retries in the request path), bounded by a timeout. Every outcome is a value:
// a facilitator that is down, slow or answers nonsense is `unavailable`, never an exception. So is
// an error without a verdict (no `isValid`), and a 401/403/429 whatever its body says: the
// operator's credentials refused or their account throttled, not the payer's fault. The operator's
// headers for exactly this facilitator URL (facilitator-headers.ts) go with every call, and for CDP's
// facilitator a token signed for that very call (cdp-auth.ts).
import { HTTPFacilitatorClient, type FacilitatorConfig } from '@x402/core/http';
import { SettleError, VerifyError, type PaymentPayload, type PaymentRequirements, type SettleResponse, type SupportedResponse } from '@x402/core/types';
import { cdpAuthorization, type CdpAuth } from './cdp-auth.js';
import { facilitatorBase, facilitatorHeadersFor, NO_FACILITATOR_HEADERS, type FacilitatorHeaders } from './facilitator-headers.js';
import type { RequirementsV1, RequirementsV2 } from './offer.js';

export interface FacilitatorTimeouts {
  /** In the request path: the client waits for it. */
  readonly verifyMs: number;
  /** After the upstream answered (a chain transaction): the response waits for it. */
  readonly settleMs: number;
}

export const DEFAULT_FACILITATOR_TIMEOUTS: FacilitatorTimeouts = { verifyMs: 3000, settleMs: 15_000 };

/** Statuses about the operator (credentials refused, account throttled): a verdict in their body is not the payer's. */
const OPERATOR_STATUSES: ReadonlySet<number> = new Set([401, 403, 429]);

export type Verification =
  | { readonly kind: 'valid'; readonly payer?: string }
  | { readonly kind: 'invalid'; readonly reason: string; readonly payer?: string }
  | { readonly kind: 'unavailable'; readonly error: string };

export type Settlement =
  | { readonly kind: 'settled'; readonly response: SettleResponse }
  /** `response.errorReason` says why; after a timeout the outcome is unknown (it may still land). */
  | { readonly kind: 'failed'; readonly response: SettleResponse; readonly error: string };

/** GET /supported: what the facilitator verifies and settles, or why it could not be asked. */
export type Supported = { readonly kind: 'answered'; readonly response: SupportedResponse } | { readonly kind: 'unavailable'; readonly error: string };

export interface Facilitator {
  /** Its base URL (no trailing slash), for logs. */
  readonly url: string;
  verify(payload: Readonly<Record<string, unknown>>, requirements: RequirementsV1 | RequirementsV2): Promise<Verification>;
  settle(payload: Readonly<Record<string, unknown>>, requirements: RequirementsV1 | RequirementsV2): Promise<Settlement>;
  supported(): Promise<Supported>;
}

/** The operator's credentials for facilitators, from the environment (ops/operations.ts). */
export interface FacilitatorAuth {
  readonly headers: FacilitatorHeaders;
  readonly cdp?: CdpAuth;
}

export const NO_FACILITATOR_AUTH: FacilitatorAuth = { headers: NO_FACILITATOR_HEADERS };

export function createFacilitator(url: string, timeouts: FacilitatorTimeouts, credentials: FacilitatorAuth = NO_FACILITATOR_AUTH): Facilitator {
  const base = facilitatorBase(url);
  const headers = facilitatorHeadersFor(credentials.headers, base);
  const cdp = credentials.cdp?.url === base ? credentials.cdp : undefined;
  // One client per endpoint, so that each signs a token for its own call only.
  const client = (path: FacilitatorPath, timeoutMs: number) => new HTTPFacilitatorClient({ url: base, timeoutMs, ...authHeaders(base, path, headers, cdp) });
  const verifier = client('verify', timeouts.verifyMs);
  const settler = client('settle', timeouts.settleMs);
  const lister = client('supported', timeouts.verifyMs);
  return {
    url: base,
    async supported() {
      try {
        return { kind: 'answered', response: await lister.getSupported() };
      } catch (error) {
        return { kind: 'unavailable', error: `facilitator ${base}/supported: ${messageOf(error)}` };
      }
    },
    async verify(payload, requirements) {
      try {
        const answer = await verifier.verify(...wire(payload, requirements));
        if (answer.isValid) return { kind: 'valid', ...payer(answer.payer) };
        return { kind: 'invalid', reason: answer.invalidReason ?? 'invalid_payload', ...payer(answer.payer) };
      } catch (error) {
        if (error instanceof VerifyError && error.statusCode < 500 && !OPERATOR_STATUSES.has(error.statusCode)) return { kind: 'invalid', reason: error.invalidReason ?? 'invalid_payload', ...payer(error.payer) };
        return { kind: 'unavailable', error: `facilitator ${base}/verify: ${messageOf(error)}` };
      }
    },
    async settle(payload, requirements) {
      try {
        const response = await settler.settle(...wire(payload, requirements));
        if (response.success) return { kind: 'settled', response };
        return { kind: 'failed', response, error: response.errorReason ?? 'settlement refused' };
      } catch (error) {
        const failure: SettleResponse = { success: false, errorReason: 'unexpected_settle_error', transaction: '', network: requirements.network as SettleResponse['network'] };
        if (error instanceof SettleError && !OPERATOR_STATUSES.has(error.statusCode)) {
          return { kind: 'failed', response: { ...failure, errorReason: error.errorReason ?? 'unexpected_settle_error', ...payer(error.payer) }, error: error.message };
        }
        return { kind: 'failed', response: failure, error: `facilitator ${base}/settle: ${messageOf(error)}` };
      }
    },
  };
}

type FacilitatorPath = 'verify' | 'settle' | 'supported';

// The client asks for headers per facilitator path on every call (a flat object is refused); the
// operator's apply to all of them, a CDP token to `path`, the one this client calls. Neither for this
// URL: no `createAuthHeaders`, so the client sends none.
function authHeaders(base: string, path: FacilitatorPath, headers: Readonly<Record<string, string>> | undefined, cdp: CdpAuth | undefined): Pick<FacilitatorConfig, 'createAuthHeaders'> {
  if (headers === undefined && cdp === undefined) return {};
  const method = path === 'supported' ? 'GET' : 'POST';
  // The signed token replaces an Authorization among the static headers, whatever its case.
  const fixed: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => cdp === undefined || name.toLowerCase() !== 'authorization'));
  return {
    async createAuthHeaders() {
      const forPath = cdp === undefined ? fixed : { ...fixed, Authorization: await cdpAuthorization(cdp, method, `${base}/${path}`) };
      return { verify: forPath, settle: forPath, supported: forPath };
    },
  };
}

// The client is typed for v2; v1 payloads and requirements travel through it unchanged (it sends
// `x402Version` from the payload and both objects as given), which is the v1 facilitator API.
function wire(payload: Readonly<Record<string, unknown>>, requirements: RequirementsV1 | RequirementsV2): [PaymentPayload, PaymentRequirements] {
  return [payload as unknown as PaymentPayload, requirements as unknown as PaymentRequirements];
}

function payer(value: string | undefined): { payer?: string } {
  return value === undefined ? {} : { payer: value };
}

function messageOf(error: unknown): string {
  // A verdict error's message is only the body's reason: the status tells why it was not taken.
  if (error instanceof VerifyError || error instanceof SettleError) return `answered ${String(error.statusCode)}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

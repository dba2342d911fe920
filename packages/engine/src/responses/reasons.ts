// Per reason code: the HTTP status and the default title and detail of its problem+json body.
import type { ReasonCode } from '@tollgate/policy/schema';

export const DEFAULT_PROBLEM_BASE_URI = 'https://tollgate.dev/problems/';

export interface ReasonInfo {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
}

export const REASONS: Readonly<Record<ReasonCode, ReasonInfo>> = {
  unauthenticated: { status: 401, title: 'Authentication required', detail: 'This API needs an authenticated consumer.' },
  'subscription-inactive': { status: 402, title: 'Subscription inactive', detail: 'Your subscription is not active. Renew it to continue.' },
  'plan-upgrade-required': { status: 402, title: 'Plan upgrade required', detail: 'Your plan does not include this endpoint; a higher plan does.' },
  'not-entitled': { status: 403, title: 'Not entitled', detail: 'Your plan does not include this endpoint.' },
  'rate-limited': { status: 429, title: 'Rate limit exceeded', detail: 'Too many requests. Retry after the time given in Retry-After.' },
  'quota-exhausted': { status: 402, title: 'Quota exhausted', detail: 'The quota of your billing period is used up.' },
  'insufficient-credits': { status: 402, title: 'Insufficient credits', detail: 'Your credit balance is below the cost of this request. Top up to continue.' },
  'payment-required': { status: 402, title: 'Payment required', detail: 'This endpoint is paid per request: pay with the x402 offer in PAYMENT-REQUIRED.' },
  'payment-invalid': { status: 402, title: 'Payment invalid', detail: 'The payment sent with this request was not accepted.' },
  'payment-malformed': { status: 400, title: 'Payment malformed', detail: 'The payment header could not be read as an x402 payment. Build a new one from the offer in PAYMENT-REQUIRED.' },
  'payment-allowance-required': {
    status: 412,
    title: 'Permit2 approval required',
    detail: 'Your wallet has not approved the Permit2 contract for this token. Approve it once on-chain, then pay again with the offer in PAYMENT-REQUIRED.',
  },
  'payment-unavailable': { status: 503, title: 'Payment verification unavailable', detail: 'The payment could not be verified right now. Nothing was charged; retry shortly.' },
  'store-unavailable': { status: 503, title: 'Service unavailable', detail: 'Usage accounting is unavailable. Retry shortly.' },
};

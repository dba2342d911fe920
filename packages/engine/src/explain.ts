// `tollgate why`: a decision explained with its numbers. Engine.explain makes the Trace with the
// engine's own code (identity, route rules, the store's previewAdmit, the decision builder);
// explainTrace only reads it back: which plan applied and why, the subscription, the entitlement,
// each window, quota and the credits, the x402 offer, the answer, and what the caller or the
// operator can do about it. Nothing here decides anything.
import type { ReasonCode } from '@tollgate/policy/schema';
import type { Caller } from './compile/identity.js';
import type { EngineConfig } from './config/engine-config.js';
import { planRule } from './decision-parts.js';
import { REASONS } from './responses/reasons.js';
import { LIFETIME_END } from './store/billing-period.js';
import type { AdmissionResult, RouteRules } from './store/store.js';
import type { Allow, Deny, RequestFacts } from './types.js';
import { compileOffer } from './x402/offer.js';

export interface Trace {
  readonly config: EngineConfig;
  readonly facts: RequestFacts;
  readonly route: string | undefined;
  /** Undefined: the facts identify nobody. */
  readonly caller: Caller | undefined;
  readonly now: number;
  readonly rules?: RouteRules;
  /** This request's own cost, when it is not `rules.cost`: a metered route's estimate. */
  readonly cost?: number;
  /** What the store's admit would answer now (previewAdmit). */
  readonly admission?: AdmissionResult;
  /** What decide would answer, built by the same code. */
  readonly decision: Allow | Deny;
}

/** Instants are ISO strings, absent values null: the JSON `tollgate why --json` prints. */
export interface Explanation {
  readonly policy: string;
  readonly request: { readonly method: string; readonly path: string; readonly host: string | null };
  readonly at: string;
  readonly identity: { readonly account: string; readonly scope: string; readonly consumer: string | null; readonly credential: string | null } | null;
  readonly route: string | null;
  readonly cost: number | null;
  readonly plan: { readonly applied: string | null; readonly own: string | null; readonly fallback: string | null } | null;
  readonly subscription: {
    readonly required: boolean;
    readonly statuses: readonly string[];
    readonly status: string | null;
    readonly paidThrough: string | null;
    readonly graceUntil: string | null;
    readonly passes: boolean;
  } | null;
  readonly entitlement: { readonly entitled: boolean; readonly reason: string | null; readonly plansWithRoute: readonly string[] } | null;
  /** `remaining`: left once this request is counted (when it would be allowed). */
  readonly windows: readonly { readonly name: string; readonly limit: number; readonly remaining: number; readonly resetSeconds: number; readonly refuses: boolean }[];
  /** `used`: counted once this request is (when it would be allowed). */
  readonly quotas: readonly { readonly unit: string; readonly limit: number; readonly used: number; readonly resetAt: string; readonly exhausted: boolean }[];
  readonly credits: { readonly balance: number; readonly cost: number; readonly drawsCredits: boolean; readonly overage: string; readonly charged: number } | null;
  /** The offer's payment options on this route (prices in whole units of the asset). */
  readonly x402: readonly { readonly scheme: string; readonly price: string; readonly asset: string; readonly network: string; readonly payTo: string }[] | null;
  readonly decision: { readonly kind: 'allow' | 'deny'; readonly status: number; readonly reason: ReasonCode | 'allowed'; readonly headers: Readonly<Record<string, string>>; readonly problem: unknown };
  readonly advice: { readonly caller: readonly string[]; readonly operator: readonly string[] };
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

export function explainTrace(trace: Trace): Explanation {
  const { config, facts, caller, rules, admission: result, decision } = trace;
  const rule = rules === undefined || result === undefined ? undefined : planRule(rules, result.plan);
  const x402 = config.payment?.x402;
  const offer = compileOffer(x402, config.policy);
  const routePrice = trace.route === undefined ? undefined : x402?.routes?.[trace.route];
  const sub = rules?.subscription;
  const refused = result?.outcome === 'rate-limited' ? result.violated : [];
  const exhausted = result !== undefined && result.outcome !== 'rate-limited' ? result.violated : [];
  const explanation: Explanation = {
    policy: config.policy,
    request: { method: facts.method, path: facts.path, host: facts.host ?? null },
    at: new Date(trace.now).toISOString(),
    identity: caller === undefined ? null : { account: caller.account, scope: caller.scope, consumer: caller.consumer ?? null, credential: caller.credential ?? null },
    route: trace.route ?? null,
    cost: trace.cost ?? rules?.cost ?? null,
    plan: result === undefined ? null : { applied: result.plan ?? null, own: result.account.plan ?? null, fallback: caller?.fallbackPlan ?? null },
    subscription:
      result === undefined
        ? null
        : {
            required: sub !== undefined,
            statuses: sub?.statuses ?? [],
            status: result.account.status ?? null,
            paidThrough: iso(result.account.paidThrough),
            graceUntil: sub === undefined || result.account.paidThrough === undefined ? null : iso(result.account.paidThrough + sub.graceMs),
            passes: result.outcome !== 'subscription-inactive',
          },
    entitlement:
      rule === undefined || rules === undefined
        ? null
        : {
            entitled: rule.kind === 'check',
            reason: rule.kind === 'deny' ? rule.reason : null,
            plansWithRoute: Object.entries(rules.plans)
              .filter(([, r]) => r.kind === 'check')
              .map(([name]) => name),
          },
    windows: (result?.windows ?? []).map((w) => ({ name: w.name, limit: w.limit, remaining: w.remaining, resetSeconds: Math.ceil(w.resetMs / 1000), refuses: refused.includes(w.name) })),
    quotas: (result?.quotas ?? []).map((q) => ({ unit: q.unit, limit: q.limit, used: q.used, resetAt: q.resetAt === LIFETIME_END ? 'never' : (iso(q.resetAt) ?? ''), exhausted: exhausted.includes(q.unit) })),
    credits:
      result === undefined || rules === undefined || rule?.kind !== 'check'
        ? null
        : { balance: result.account.credits, cost: trace.cost ?? rules.cost, drawsCredits: rule.credits, overage: rule.overage, charged: result.charged },
    x402: offer === undefined ? null : offer.options.map((o) => ({ scheme: o.scheme, price: routePrice ?? o.price, asset: o.asset, network: o.network, payTo: o.payTo })),
    decision:
      decision.kind === 'allow'
        ? { kind: 'allow', status: decision.log.status, reason: 'allowed', headers: decision.responseHeaders, problem: null }
        : { kind: 'deny', status: decision.status, reason: decision.reason, headers: decision.headers, problem: JSON.parse(decision.body) as unknown },
    advice: { caller: [], operator: [] },
  };
  return { ...explanation, advice: adviceFor(explanation) };
}

/** What the caller and the operator can do about this answer, with its numbers. */
function adviceFor(e: Explanation): Explanation['advice'] {
  const account = e.identity?.account ?? '<account>';
  const caller: string[] = [];
  const operator: string[] = [];
  const reason = e.decision.reason;
  const upgrade = (e.entitlement?.plansWithRoute ?? []).filter((p) => p !== e.plan?.applied);
  switch (reason) {
    case 'allowed':
      break;
    case 'unauthenticated':
      caller.push('send the credentials the gateway authenticates (an API key, a JWT …): this request identifies no consumer');
      operator.push('check that the gateway authenticated the request and that the consumer exists');
      break;
    case 'payment-required':
      break;
    case 'rate-limited': {
      const full = e.windows.filter((w) => w.refuses);
      caller.push(`retry after ${Math.max(0, ...full.map((w) => w.resetSeconds))} s (Retry-After)`);
      operator.push(`the ${full.map((w) => `${w.name} window (limit ${w.limit})`).join(' and ')} of plan ${e.plan?.applied ?? '(none)'} is full: raise it, or move the account: tollgate account set-plan ${account} <plan>`);
      break;
    }
    case 'quota-exhausted': {
      const used = e.quotas.filter((q) => q.exhausted);
      const resets = used.filter((q) => q.resetAt !== 'never');
      caller.push(resets.length === 0 ? 'upgrade the plan: a lifetime quota never resets' : `wait for the next billing period (${resets.map((q) => q.resetAt).join(', ')}), or upgrade the plan`);
      operator.push(`${used.map((q) => `${q.used}/${q.limit} ${q.unit}`).join(', ')} used this period: move the account to a larger plan (tollgate account set-plan ${account} <plan>), or let the plan's overage draw credits or bill`);
      break;
    }
    case 'insufficient-credits': {
      const { balance = 0, cost = 0 } = e.credits ?? {};
      caller.push(`top up credits: this request costs ${cost}, the balance is ${balance}`);
      operator.push(`tollgate account grant ${account} ${cost - balance} --key <idempotency key>  (the least that lets this request through)`);
      break;
    }
    case 'subscription-inactive': {
      const s = e.subscription;
      caller.push('renew or pay the subscription');
      operator.push(
        `status ${s?.status ?? '(none)'}, paid through ${s?.paidThrough ?? '(never)'}${s?.graceUntil === null || s === null ? '' : `, grace until ${s.graceUntil}`}; passing statuses: ${s?.statuses.join(', ') ?? ''}. ` +
          `Stripe webhooks set this; by hand: tollgate account set-status ${account} active --paid-through <ISO>`,
      );
      break;
    }
    case 'not-entitled':
    case 'plan-upgrade-required':
      caller.push(upgrade.length > 0 ? `upgrade to a plan that includes this route: ${upgrade.join(', ')}` : 'no plan of this policy includes this route');
      if (upgrade.length > 0) operator.push(`tollgate account set-plan ${account} ${upgrade[0] ?? ''}`);
      break;
    default:
      operator.push(REASONS[reason].detail);
  }
  if (e.x402 !== null && e.decision.status === 402) {
    caller.push(`or pay for this one request with x402: ${e.x402.map(describeOption).join(', or ')} (PAYMENT-SIGNATURE header)`);
  }
  return { caller, operator };
}

export function describeOption(o: NonNullable<Explanation['x402']>[number]): string {
  return `${o.scheme === 'upto' ? 'up to ' : ''}${o.price} ${o.asset} on ${o.network} to ${o.payTo}`;
}

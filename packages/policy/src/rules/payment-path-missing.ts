import type { Located, Project } from '../load/load-project.js';
import type { PathSegment } from '../diagnostics.js';
import type { Rule, RuleFinding } from './rule.js';
import { plansOf } from './plan-entries.js';

type Link = 'upgradeUrl' | 'billingUrl' | 'topUpUrl';

interface PaymentCause {
  readonly document: Located;
  readonly path: readonly PathSegment[];
  readonly what: string;
  /** Links that give this client a way out; an x402 offer always does. */
  readonly remedies: readonly Link[];
}

export const paymentPathMissing: Rule = {
  id: 'payment-path-missing',
  severity: 'warn',
  description: 'Every 402 should tell the client how to pay: an upgrade, billing or top-up URL, or an x402 offer.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const { spec } = policy.value;
      if (spec.payment?.x402) continue;
      const causes: PaymentCause[] = [];
      if (spec.subscription?.required) causes.push({ document: policy, path: ['spec', 'subscription', 'required'], what: 'a lapsed subscription', remedies: ['billingUrl', 'upgradeUrl'] });
      const plans = plansOf(project, policy);
      for (const [tier, entry] of plans.entries()) {
        const { plan } = entry;
        if (plan.quota && (plan.overage ?? 'block') === 'block') {
          causes.push({ document: entry.document, path: [...entry.path, 'quota'], what: `plan "${entry.name}" running out of quota`, remedies: ['upgradeUrl', 'topUpUrl'] });
        }
        if (plan.credits === true || plan.overage === 'credits') {
          causes.push({ document: entry.document, path: [...entry.path, plan.credits === true ? 'credits' : 'overage'], what: `plan "${entry.name}" running out of credits`, remedies: ['topUpUrl'] });
        }
        if (plan.routes && tier < plans.length - 1) {
          causes.push({ document: entry.document, path: [...entry.path, 'routes'], what: `plan "${entry.name}" calling a route of a higher plan`, remedies: ['upgradeUrl'] });
        }
      }
      for (const cause of causes) {
        if (cause.remedies.some((link) => spec.payment?.[link] !== undefined)) continue;
        yield {
          document: cause.document,
          path: cause.path,
          at: 'key',
          message: `${cause.what} answers 402 with no way to pay: set payment.${cause.remedies.join(' or payment.')}, or an x402 offer`,
        };
      }
    }
  },
};

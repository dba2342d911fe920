// How Stripe objects map onto Tollgate accounts, read once from the policy files: a Stripe price
// id → the plan whose `billing.stripePriceIds` lists it; a Stripe customer id → the consumer whose
// `customId` it is. Contradictions are configuration errors, all reported at once.
import { resolvePlans, type Project } from '@tollgate/policy';

export interface BillingMap {
  planOfPrice(priceId: string): string | undefined;
  consumerOfCustomer(customerId: string): string | undefined;
}

/** The policy files contradict themselves about billing; `problems` lists every contradiction. */
export class BillingMapError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`billing mapping: ${problems.join('; ')}`);
  }
}

export function billingMapFromProject(project: Project): BillingMap {
  const problems: string[] = [];
  const plans = new Map<string, string>();
  const planSources = [...project.plans.map((doc) => Object.entries(doc.value.spec.plans)), ...project.policies.map((policy) => resolvePlans(project, policy).map((p) => [p.name, p.plan] as const))];
  for (const entries of planSources) {
    for (const [name, plan] of entries) {
      for (const price of plan.billing?.stripePriceIds ?? []) {
        const known = plans.get(price);
        if (known !== undefined && known !== name) problems.push(`Stripe price ${price} is listed by plans "${known}" and "${name}"`);
        else plans.set(price, name);
      }
    }
  }
  const consumers = new Map<string, string>();
  for (const doc of project.consumers) {
    for (const consumer of doc.value.spec.consumers) {
      if (consumer.customId === undefined) continue;
      const known = consumers.get(consumer.customId);
      if (known !== undefined && known !== consumer.name) problems.push(`customId ${consumer.customId} belongs to consumers "${known}" and "${consumer.name}"`);
      else consumers.set(consumer.customId, consumer.name);
    }
  }
  if (problems.length > 0) throw new BillingMapError([...new Set(problems)]);
  return { planOfPrice: (id) => plans.get(id), consumerOfCustomer: (id) => consumers.get(id) };
}

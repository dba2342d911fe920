import type { Project } from '../load/load-project.js';
import { drawsCredits } from './metered-entries.js';
import { plansOf } from './plan-entries.js';
import type { Rule, RuleFinding } from './rule.js';

/** A threshold nothing can cross never notifies: most likely the plans or the threshold are not what was meant. */
export const notificationThresholds: Rule = {
  id: 'notification-thresholds',
  severity: 'warn',
  description: 'Notification thresholds must be crossable: quotaPercent needs a plan with a quota, creditsBelow a plan that draws credits; the webhook URL should be https.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const notifications = policy.value.spec.notifications;
      if (notifications === undefined) continue;
      const at = (path: readonly string[], message: string): RuleFinding => ({ document: policy, path: ['spec', 'notifications', ...path], at: 'key', message });
      const plans = plansOf(project, policy).map((entry) => entry.plan);
      const { thresholds } = notifications;
      if (thresholds?.quotaPercent !== undefined && !plans.some((plan) => plan.quota !== undefined)) {
        yield at(['thresholds', 'quotaPercent'], 'no plan of this policy has a quota: notifications.thresholds.quotaPercent never fires');
      }
      if (thresholds?.creditsBelow !== undefined && !drawsCredits(project, policy)) {
        yield at(['thresholds', 'creditsBelow'], 'no plan of this policy draws credits (credits: true or overage: credits): notifications.thresholds.creditsBelow never fires');
      }
      if (notifications.url.startsWith('http://')) {
        yield { document: policy, path: ['spec', 'notifications', 'url'], message: 'the webhook URL is plain http: the signature proves who sent an event, but anyone on the way can read it; use https' };
      }
    }
  },
};

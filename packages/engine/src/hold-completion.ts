// Completing a hold once the upstream answered. A `chargeOn: success` hold is committed (< 500) or
// given back (>= 500); a metered route's hold is settled at the actual cost its response states
// (or at its estimate when the response does not say: `cost-unread`), and given back on a 5xx only
// under chargeOn success. A completion that fails is sent again by the compensation queue.
import type { Clock } from './clock.js';
import type { Compensations } from './compensations.js';
import type { HoldOutcome } from './engine-api.js';
import type { FollowUpWork, MeterWork } from './follow-up.js';
import type { MeteredRoutes } from './metered/metered-routes.js';
import type { MeteringLog, Observer } from './ops/observer.js';
import type { StoreCalls } from './store-calls.js';
import type { HoldCompletion, HoldSettlement } from './store/store.js';
import { messageOf } from './timeout.js';
import type { ResponseFacts } from './types.js';

export interface HoldCompleterSettings {
  readonly policy: string;
  readonly chargeOnSuccess: boolean;
  readonly metered: MeteredRoutes;
}

interface Plan {
  readonly completion: HoldCompletion | HoldSettlement;
  /** Set for a metered hold: what the log reports. */
  readonly metering?: Pick<MeteringLog, 'event' | 'estimate' | 'settle'>;
}

export class HoldCompleter {
  constructor(
    private readonly settings: HoldCompleterSettings,
    private readonly store: StoreCalls,
    private readonly clock: Clock,
    private readonly compensations: Compensations,
    private readonly observer: Observer,
  ) {}

  async complete(work: FollowUpWork, upstreamStatus: number, response: ResponseFacts | undefined): Promise<HoldOutcome> {
    const { hold } = work;
    if (hold === undefined) return { kind: 'none' };
    const plan = work.meter === undefined ? this.#plain(upstreamStatus) : this.#metered(work.meter, upstreamStatus, response);
    let outcome: HoldOutcome;
    try {
      outcome = await this.store.run('complete-hold', (s) => s.completeHold(hold.account, hold.key, plan.completion, this.clock.now()));
    } catch (error) {
      // Sent again until it lands (idempotent by hold key) or the hold expired: a success is never free.
      this.compensations.retryCompletion(hold.account, hold.key, plan.completion);
      outcome = { kind: 'failed', error: messageOf(error) };
    }
    if (work.meter !== undefined && plan.metering !== undefined) this.#report(work.meter, upstreamStatus, plan.metering, outcome);
    return outcome;
  }

  /** Charge only on success: an upstream 5xx (or no answer at all, which gateways report as 502/504) gives it back. */
  #plain(upstreamStatus: number): Plan {
    return { completion: upstreamStatus < 500 ? 'commit' : 'release' };
  }

  #metered(work: MeterWork, upstreamStatus: number, response: ResponseFacts | undefined): Plan {
    const { estimate } = work;
    if (upstreamStatus >= 500 && this.settings.chargeOnSuccess) return { completion: 'release', metering: { event: 'released', estimate } };
    const actual = this.settings.metered.actual(work, response);
    if (actual === undefined) return { completion: { settle: estimate }, metering: { event: 'cost-unread', estimate, settle: estimate } };
    return { completion: { settle: actual }, metering: { event: 'settled', estimate, settle: actual } };
  }

  #report(work: MeterWork, upstreamStatus: number, metering: NonNullable<Plan['metering']>, outcome: HoldOutcome): void {
    this.observer.metered({
      policy: this.settings.policy,
      route: work.route,
      ...(work.requestId === undefined ? {} : { requestId: work.requestId }),
      ...metering,
      upstreamStatus,
      outcome: outcome.kind,
      ...(outcome.kind === 'settled' ? { writtenOff: outcome.writtenOff } : {}),
      ...(outcome.kind === 'failed' ? { error: outcome.error } : {}),
    });
  }
}

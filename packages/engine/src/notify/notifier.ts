// Sends the notices a decision produced, after the decision: nothing here is awaited by it. Each
// notice first claims its dedupe record in the store (SET NX, shared by every node: at most one
// webhook per account, threshold and period, however many requests crossed at once), then is
// POSTed, signed, with retries and backoff in the engine's compensation queue until the receiver
// answers 2xx or DELIVERY_LIMIT_MS passed. A crossing happens once (the store's counters are
// atomic) but a refusal repeats on every request: a refusal notice this process already claimed or
// saw claimed is remembered until its record expires (a credit refusal at most MEMO_CREDIT_MS, as
// a grant on another node may re-arm it), so a flood of refusals costs one store call, not one each.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Backoff, Compensations } from '../compensations.js';
import type { Observer } from '../ops/observer.js';
import type { StoreCalls } from '../store-calls.js';
import { messageOf } from '../timeout.js';
import type { Notice } from './crossings.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';

const DELIVERY_LIMIT_MS = 3600 * 1000;
const DELIVERY_BACKOFF: Backoff = { firstMs: 500, maxMs: 60_000 };
/** One attempt waits this long for the receiver's answer. */
const ATTEMPT_TIMEOUT_MS = 10_000;
const MEMO_CREDIT_MS = 60_000;
const MEMO_LIMIT = 10_000;

export interface NotifierSettings {
  readonly policy: string;
  readonly url: string;
  readonly secret: string;
}

export class Notifier {
  /** Refusal notice keys (`<account>\n<key>`) this process knows are claimed → until when (epoch ms). */
  readonly #claimed = new Map<string, number>();
  /** Claims under way: `settled` waits for them (their deliveries then join the compensation queue). */
  readonly #claiming = new Set<Promise<void>>();

  constructor(
    private readonly settings: NotifierSettings,
    private readonly store: StoreCalls,
    private readonly clock: Clock,
    private readonly compensations: Compensations,
    private readonly observer: Observer,
  ) {}

  /** Claims and sends each notice in the background; never throws. */
  send(notices: readonly Notice[]): void {
    for (const notice of notices) {
      const claiming = this.#claimAndSend(notice);
      this.#claiming.add(claiming);
      void claiming.finally(() => this.#claiming.delete(claiming));
    }
  }

  /** Resolves once no claim is under way (each was sent to the compensation queue, or needed no webhook). */
  async settled(): Promise<void> {
    while (this.#claiming.size > 0) await Promise.all(this.#claiming);
  }

  async #claimAndSend(notice: Notice): Promise<void> {
    const now = this.clock.now();
    const refusal = notice.type === 'payment.denied';
    const memo = `${notice.account}\n${notice.claim.key}`;
    if (refusal && (this.#claimed.get(memo) ?? 0) > now) return;
    let claimed: boolean;
    try {
      claimed = await this.store.run('claim-notice', (s) => s.claimNotice(notice.account, notice.claim, now));
    } catch (error) {
      this.observer.notified({ policy: this.settings.policy, type: notice.type, outcome: 'failed', attempts: 0, error: `dedupe record not claimed: ${messageOf(error)}` });
      return;
    }
    if (refusal) this.#remember(memo, notice.claim.untilCreditsRise ? now + MEMO_CREDIT_MS : notice.claim.expiresAt);
    if (claimed) this.#deliver(notice, now);
  }

  #deliver(notice: Notice, now: number): void {
    const id = `evt_${randomUUID()}`;
    const body = JSON.stringify({
      id,
      type: notice.type,
      created: Math.floor(now / 1000),
      policy: this.settings.policy,
      account: notice.account,
      ...(notice.plan === undefined ? {} : { plan: notice.plan }),
      data: notice.data,
    });
    const attempt = async () => {
      // Signed at each attempt: a retry carries a fresh timestamp, as the receiver's tolerance expects.
      const signature = signatureHeader(this.settings.secret, body, Math.floor(Date.now() / 1000));
      const response = await fetch(this.settings.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signature, [EVENT_ID_HEADER]: id, 'User-Agent': 'tollgate-notifications' },
        body,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.status < 200 || response.status >= 300) throw new Error(`the receiver answered ${String(response.status)}`);
    };
    this.compensations.deliver(attempt, DELIVERY_LIMIT_MS, DELIVERY_BACKOFF, (outcome, attempts, error) => {
      this.observer.notified({ policy: this.settings.policy, type: notice.type, outcome: outcome === 'landed' ? 'sent' : 'failed', attempts, ...(error === undefined ? {} : { error }) });
    });
  }

  #remember(memo: string, until: number): void {
    if (this.#claimed.size >= MEMO_LIMIT) this.#claimed.clear();
    this.#claimed.set(memo, until);
  }
}

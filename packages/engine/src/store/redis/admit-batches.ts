// Admissions go to Redis in batches: every admission queued in the same turn of the event loop
// (the decisions that the replies of one round trip set going, or the requests read from every
// connection that was readable) is sent as ONE admit script call that runs them one after another
// (lua/admit.ts). The per-call costs — the client's command handling and reply parsing, the
// server's script setup, the rules text — are paid once per batch instead of once per decision,
// and the batch is decided exactly as the same admissions sent one by one would be. The queue is
// flushed with setImmediate, after the poll phase: process.nextTick would run after each I/O
// callback, making every connection's read a batch of its own (a sidecar or runner reads one
// request per connection per turn, so that was one call per decision). The store writes the call
// at once (connection.ts, sendNow: ioredis's auto-pipelining would only wrap it in a pipeline of
// one and write it a turn later), so batching adds no wait of its own.
import { billingPeriod } from '../billing-period.js';
import { admissionCost, type Admission, type AdmissionResult } from '../store.js';
import type { ScriptArgument } from './lua/script.js';
import { rulesArg, type RulesArg } from './rules-args.js';
import { parseAdmission, RedisReplyError } from './replies.js';

/**
 * At most this many admissions per script call. Redis runs one script at a time and nothing else
 * meanwhile, so a batch holds the server for its admissions' time added up: about 5–12 µs each
 * (bench/engine-redis.bench.mjs), so ≈ 0.4–0.8 ms for a full batch, in line with a pipeline of as
 * many separate calls (Redis reads a client's pipelined commands back to back too). Past a few
 * dozen the per-call cost saved is already negligible, so a larger batch would only lengthen the
 * stall.
 */
export const MAX_BATCH = 64;

/** Sends one admit script call (KEYS, ARGV) and answers its reply; failures reject (it never throws). */
export type SendBatch = (keys: readonly string[], args: readonly ScriptArgument[]) => Promise<unknown>;

/** An admission's deadline (host wall clock, ms) as the server's clock reads it, or undefined while the offset is unknown. */
export type ServerDeadline = (deadline: number) => number | undefined;

interface Queued {
  readonly admission: Admission;
  readonly rules: RulesArg;
  /** The account hash key: KEYS[i] of the call. */
  readonly key: string;
  readonly resolve: (result: AdmissionResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The calendar periods of a rules text (RulesArg.calendars) holding some `now`, as the script reads
 * them (space-separated starts and ends), and the span in which all of them still hold.
 */
interface CalendarPeriods {
  readonly starts: string;
  readonly ends: string;
  readonly from: number;
  readonly until: number;
}

/** Admissions that share rules, calendar periods and fallback plan share one context of the call. */
interface Context {
  readonly rules: RulesArg;
  readonly calendars: CalendarPeriods | undefined;
  readonly fallbackPlan: string;
}

export class AdmitBatches {
  #queued: Queued[] = [];
  readonly #calendars = new WeakMap<RulesArg, CalendarPeriods>();

  /**
   * @param send the script call (the store's: connection gate, EVALSHA, EVAL after NOSCRIPT)
   * @param sameSlotOnly Redis Cluster: a call's keys must share one slot, so a batch holds the
   *   admissions of one account only (its hash tag); else one batch holds any accounts.
   */
  constructor(
    private readonly send: SendBatch,
    private readonly sameSlotOnly: boolean,
    private readonly serverDeadline: ServerDeadline,
  ) {}

  /** Queues the admission for this turn's batch; settles with its own result or error. */
  admit(admission: Admission, key: string): Promise<AdmissionResult> {
    // What cannot be sent (rules the script cannot read, a hold key it cannot carry) fails this
    // admission here, alone: the flush itself must never throw.
    return new Promise<AdmissionResult>((resolve, reject) => {
      const rules = rulesArg(admission.rules);
      admissionCost(admission);
      checkWord(admission.holdKey, 'hold keys');
      checkWord(admission.id, 'admission ids');
      if (this.#queued.length === 0) setImmediate(this.#flush);
      this.#queued.push({ admission, rules, key, resolve, reject });
    });
  }

  readonly #flush = (): void => {
    const queued = this.#queued;
    this.#queued = [];
    for (const group of this.sameSlotOnly ? byKey(queued) : [queued]) {
      for (let start = 0; start < group.length; start += MAX_BATCH) this.#sendBatch(group.slice(start, start + MAX_BATCH));
    }
  };

  #sendBatch(batch: readonly Queued[]): void {
    const keys: string[] = [];
    const contexts: Context[] = [];
    const perAdmission: string[] = [];
    for (const queued of batch) {
      const { admission } = queued;
      keys.push(queued.key);
      const cost = admission.cost === undefined ? '' : String(admission.cost);
      perAdmission.push(`${String(admission.now)} ${String(this.#contextOf(queued, contexts))} ${cost} ${admission.holdKey ?? ''} ${this.#receipt(admission)} ${admission.scope}`);
    }
    const args: ScriptArgument[] = [contexts.length];
    for (const { rules, calendars, fallbackPlan } of contexts) args.push(rules.text, calendars?.starts ?? '', calendars?.ends ?? '', fallbackPlan);
    for (const arg of perAdmission) args.push(arg);
    this.send(keys, args).then(
      (reply) => {
        settle(batch, reply);
      },
      (error: unknown) => {
        // Nothing in the batch was decided (or it cannot be known): each admission fails, none is sent again.
        for (const queued of batch) queued.reject(error);
      },
    );
  }

  /** `<id> <deadline>`: the receipt id (the hold key when it holds: one record) and the server-clock deadline, each '' when none. */
  #receipt({ id, holdKey, deadline }: Admission): string {
    if (id === undefined) return ' ';
    const serverDeadline = deadline === undefined ? undefined : this.serverDeadline(deadline);
    return `${holdKey ?? id} ${serverDeadline === undefined ? '' : String(serverDeadline)}`;
  }

  /** The 1-based context of the admission, added to `contexts` when no earlier admission shares it. */
  #contextOf({ admission, rules }: Queued, contexts: Context[]): number {
    const calendars = rules.calendars.length === 0 ? undefined : this.#calendarPeriods(rules, admission.now);
    const fallbackPlan = admission.fallbackPlan ?? '';
    for (let i = 0; i < contexts.length; i++) {
      const context = contexts[i] as Context;
      if (context.rules === rules && context.calendars === calendars && context.fallbackPlan === fallbackPlan) return i + 1;
    }
    contexts.push({ rules, calendars, fallbackPlan });
    return contexts.length;
  }

  /** The rules' calendar periods holding `now` (billing-period.ts), kept until `now` leaves one of them. */
  #calendarPeriods(rules: RulesArg, now: number): CalendarPeriods {
    const cached = this.#calendars.get(rules);
    if (cached !== undefined && now >= cached.from && now < cached.until) return cached;
    const periods = rules.calendars.map((calendar) => billingPeriod(calendar, now, undefined));
    const computed = {
      starts: periods.map((p) => String(p.start)).join(' '),
      ends: periods.map((p) => String(p.end)).join(' '),
      from: Math.max(...periods.map((p) => p.start)),
      until: Math.min(...periods.map((p) => p.end)),
    };
    this.#calendars.set(rules, computed);
    return computed;
  }
}

/** The admission's argument carries the hold key and the id as words: the engine's are `hold:<uuid>` and `adm:<uuid>.<n>`. */
function checkWord(key: string | undefined, what: string): void {
  if (key !== undefined && (key === '' || /\s/.test(key))) throw new Error(`the redis store needs ${what} without white space, not ${JSON.stringify(key)}`);
}

/** The queued admissions grouped by account key, each group in queue order. */
function byKey(queued: readonly Queued[]): Iterable<Queued[]> {
  const groups = new Map<string, Queued[]>();
  for (const q of queued) {
    const group = groups.get(q.key);
    if (group === undefined) groups.set(q.key, [q]);
    else group.push(q);
  }
  return groups.values();
}

/** Each admission gets its own member of the reply: its result, or the error its admission raised. */
function settle(batch: readonly Queued[], reply: unknown): void {
  if (!Array.isArray(reply) || reply.length !== batch.length) {
    const error = new RedisReplyError('admit', reply);
    for (const queued of batch) queued.reject(error);
    return;
  }
  for (let i = 0; i < batch.length; i++) {
    const queued = batch[i] as Queued;
    const member: unknown = reply[i];
    if (member instanceof Error) {
      queued.reject(member);
      continue;
    }
    try {
      queued.resolve(parseAdmission(member, queued.admission));
    } catch (error) {
      queued.reject(error);
    }
  }
}

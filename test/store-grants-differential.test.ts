// Expiring credit grants: the Redis stores (standalone and Cluster) give exactly the memory store's
// answers (the reference semantics, store README "Expiring grants").
//
// Invariant: for one seeded sequence of operations on one account — permanent and expiring grants
// (several per expiry, keys sent again or reused for another expiry), admissions with and without
// a hold, settlements above and below the estimate, commits, releases, voids of open holds, debits,
// refunds (some naming a debit, to give it back to its grants), previews, and the clock jumping past grant and hold expiries — every result of a Redis
// store equals the memory store's (a void compared with the memory store's release of that hold:
// the same credits come back), and so do the balance and the open grants at every step and at the
// end. Besides, on the memory store after every step: no grant holds less than 0, and either the
// permanent part (balance less the grants) is ≥ 0 or every grant has 0 left. The voids of
// admissions that held nothing are Redis's alone (the memory store keeps no receipts): checked
// against the expected balance and grants.
import { afterEach, describe, expect, it } from 'vitest';
import { HOLD_TTL_MS, MemoryStore, type AccountState, type AdmissionResult, type CreditResult, type HoldResult, type RouteRules, type Store, type VoidResult } from '../packages/engine/src/index.js';
import { redisStoresUnderTest } from './support/redis.js';
import { mulberry32 } from './support/seeded-random.js';
import { SETTLE_PLANS } from './support/settle-plans.js';
import { outboxTotals } from './support/usage-outbox.js';

const ACCOUNT = 'granted';
const NOW = Date.UTC(2026, 4, 12, 9, 0, 0);
const MINUTE = 60_000;
const STEPS = 300;
const SEED = 0x6a7e5;

type Answer = AdmissionResult | HoldResult | CreditResult | VoidResult;
/** One operation; `memory` is what it is on the memory store when that differs (a void: the release of the hold). */
interface Step {
  readonly label: string;
  readonly run: (store: Store) => Promise<Answer>;
  readonly memory?: (store: MemoryStore) => Answer;
}

function comparable(answer: Answer, withWindows: boolean): unknown {
  if (typeof answer === 'string' || !('outcome' in answer)) return answer;
  return {
    outcome: answer.outcome,
    credits: answer.account.credits,
    grants: answer.account.grants,
    charged: answer.charged,
    overage: answer.overage,
    violated: answer.violated,
    quotas: answer.quotas.map((q) => q.used),
    ...(withWindows ? { windows: answer.windows.map((w) => w.remaining) } : {}),
  };
}

/** The seeded sequence; with `voids`, open holds are sometimes voided (their admission carried the hold key as its id). */
function* operations(rules: RouteRules, seed: number, voids: boolean): Generator<Step> {
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const base = { account: ACCOUNT, scope: '', fallbackPlan: 'metered', rules };
  let now = NOW;
  let next = 0;
  const open: { key: string; expires: number }[] = [];
  const done: string[] = [];
  const grantKeys: string[] = [];
  const debits: string[] = [];
  for (let step = 0; step < STEPS; step++) {
    const at = now;
    const roll = random();
    if (roll < 0.06) {
      const amount = 1 + pick(200);
      yield { label: `grant ${amount}`, run: async (s) => s.changeCredits(ACCOUNT, { operation: 'grant', amount, now: at }) };
    } else if (roll < 0.2) {
      // Expiries on a 10-minute grid: grants share them (one grant per expiry) and the clock passes them.
      const amount = 1 + pick(120);
      const expiresAt = at - (at % (10 * MINUTE)) + (1 + pick(6)) * 10 * MINUTE;
      const reuse = grantKeys.length > 0 && random() < 0.2;
      const key = reuse ? (grantKeys[pick(grantKeys.length)] as string) : `g${next++}`;
      if (!reuse) grantKeys.push(key);
      yield { label: `grant ${amount} until +${expiresAt - at} key ${key}`, run: async (s) => s.changeCredits(ACCOUNT, { operation: 'grant', amount, expiresAt, key, now: at }) };
    } else if (roll < 0.42) {
      const key = `hold:${next++}`;
      const estimate = pick(60);
      open.push({ key, expires: at + HOLD_TTL_MS });
      yield { label: `hold ${key} ${estimate}`, run: async (s) => s.admit({ ...base, now: at, cost: estimate, holdKey: key, ...(voids ? { id: key } : {}) }) };
    } else if (roll < 0.64 && open.length > 0) {
      const { key } = open.splice(pick(open.length), 1)[0] as { key: string };
      done.push(key);
      const kind = random();
      const completion = kind < 0.7 ? { settle: pick(150) } : kind < 0.85 ? ('commit' as const) : ('release' as const);
      yield { label: `complete ${key} ${JSON.stringify(completion)}`, run: async (s) => s.completeHold(ACCOUNT, key, completion, at) };
    } else if (roll < 0.68 && voids && open.some((hold) => hold.expires > at)) {
      const live = open.filter((hold) => hold.expires > at);
      const { key } = live[pick(live.length)] as { key: string };
      open.splice(open.findIndex((hold) => hold.key === key), 1);
      done.push(key);
      const release = (s: MemoryStore): VoidResult => (s.completeHold(ACCOUNT, key, 'release', at).kind === 'released' ? 'voided' : 'nothing');
      yield { label: `void ${key}`, run: async (s) => s.voidAdmission(ACCOUNT, key, at), memory: release };
    } else if (roll < 0.71 && done.length > 0) {
      const key = done[pick(done.length)] as string;
      const settle = pick(150);
      yield { label: `again ${key} ${settle}`, run: async (s) => s.completeHold(ACCOUNT, key, { settle }, at) };
    } else if (roll < 0.78) {
      const amount = 1 + pick(60);
      const key = `d${next++}`;
      debits.push(key);
      yield { label: `debit ${amount}`, run: async (s) => s.changeCredits(ACCOUNT, { operation: 'debit', amount, key, now: at }) };
    } else if (roll < 0.83) {
      // A refund naming a debit (one sent before, else one never sent) gives it back to its grants while open.
      const amount = 1 + pick(40);
      const key = `r${next++}`;
      const named = random();
      const debitKey = named < 0.5 && debits.length > 0 ? debits[pick(debits.length)] : named < 0.6 ? 'never-sent' : undefined;
      yield {
        label: `refund ${amount}${debitKey === undefined ? '' : ` of ${debitKey}`}`,
        run: async (s) => s.changeCredits(ACCOUNT, { operation: 'refund', amount, key, now: at, ...(debitKey === undefined ? {} : { debitKey }) }),
      };
    } else if (roll < 0.85) {
      const cost = pick(60);
      yield { label: `preview ${cost} at +${at - NOW}`, run: async (s) => s.previewAdmit({ ...base, now: at, cost }) };
    } else if (roll < 0.93) {
      const cost = pick(30);
      yield { label: `admit ${cost}`, run: async (s) => s.admit({ ...base, now: at, cost }) };
    } else {
      // A jump past some grant expiries, and past the holds opened more than HOLD_TTL_MS before it.
      now += (5 + pick(20)) * MINUTE;
      continue;
    }
    now += 1 + pick(20_000);
  }
}

/** The invariant of the grants' parts (credit-grants.ts). */
function expectGrantsWithinBalance(account: AccountState, label: string): void {
  const grants = account.grants ?? [];
  const inGrants = grants.reduce((sum, grant) => sum + grant.amount, 0);
  expect(grants.every((grant) => grant.amount >= 0), label).toBe(true);
  expect(account.credits - inGrants >= 0 || inGrants === 0, `${label}: balance ${account.credits}, grants ${JSON.stringify(grants)}`).toBe(true);
}

function sameAccount(account: AccountState): unknown {
  return { credits: account.credits, grants: account.grants };
}

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe.each(redisStoresUnderTest())('expiring grants: $name gives the memory store\'s answers', (row) => {
  it.each(Object.entries(SETTLE_PLANS))('%s', async (name, rules) => {
    const redis = await row.create();
    stores.push(redis);
    const memory = new MemoryStore({ keepUsage: true });
    const seed = SEED + Object.keys(SETTLE_PLANS).indexOf(name);
    const seen = new Set<string>();
    for (const { label, run } of operations(rules, seed, false)) {
      const expected = comparable(await run(memory), true);
      expect(comparable(await run(redis), true), `seed ${String(seed)}: ${label}`).toEqual(expected);
      const account = memory.getAccount(ACCOUNT);
      expectGrantsWithinBalance(account, label);
      expect(sameAccount(await redis.getAccount(ACCOUNT)), label).toEqual(sameAccount(account));
      seen.add(label.split(' ')[0] as string);
      if (/ of d\d/.test(label) && (expected as { kind?: string }).kind === 'applied') seen.add('refund of a debit');
      if ((account.grants ?? []).some((grant) => grant.amount > 0)) seen.add('open grant');
    }
    // The sequence exercised every kind of operation, with grants open.
    expect([...seen].sort()).toEqual(['admit', 'again', 'complete', 'debit', 'grant', 'hold', 'open grant', 'preview', 'refund', 'refund of a debit']);
    const billed = { overage: 0, credits: 0 };
    for (const event of memory.usage.take()) billed[event.meter] += event.quantity;
    const { overage, credits } = await outboxTotals(row.admin(), ACCOUNT);
    expect({ overage, credits }).toEqual(billed);
  });

  it('voids an open hold as a release gives it back: to the grants still open, never to one expired', async () => {
    const rules = SETTLE_PLANS['credits with an overdraft'] as RouteRules;
    const redis = await row.create();
    stores.push(redis);
    const memory = new MemoryStore({ keepUsage: true });
    let voided = 0;
    for (const { label, run, memory: onMemory } of operations(rules, SEED - 1, true)) {
      const expected = comparable(onMemory === undefined ? await run(memory) : onMemory(memory), false);
      expect(comparable(await run(redis), false), label).toEqual(expected);
      expect(sameAccount(await redis.getAccount(ACCOUNT)), label).toEqual(sameAccount(memory.getAccount(ACCOUNT)));
      if (expected === 'voided') voided++;
    }
    expect(voided).toBeGreaterThan(3);
  });

  it('voids an admission that held nothing by its receipt: its draw back to the grants still open, never to one expired', async () => {
    const rules = SETTLE_PLANS['credits with an overdraft'] as RouteRules;
    const redis = await row.create();
    stores.push(redis);
    const admit = (id: string, cost: number, now: number) => Promise.resolve(redis.admit({ account: ACCOUNT, scope: '', fallbackPlan: 'metered', now, rules, cost, id }));
    await redis.changeCredits(ACCOUNT, { operation: 'grant', amount: 5, now: NOW });
    await redis.changeCredits(ACCOUNT, { operation: 'grant', amount: 10, expiresAt: NOW + MINUTE, now: NOW });
    expect((await admit('adm:1', 12, NOW)).account).toEqual({ credits: 3, grants: [{ amount: 0, expiresAt: NOW + MINUTE }] });
    expect(await redis.voidAdmission(ACCOUNT, 'adm:1', NOW + 1)).toBe('voided');
    expect(await redis.getAccount(ACCOUNT)).toEqual({ credits: 15, grants: [{ amount: 10, expiresAt: NOW + MINUTE }] });
    await admit('adm:2', 12, NOW + 2);
    // Voided after the grant expired: its 10 from the grant are gone with it, its 2 permanent come back.
    expect(await redis.voidAdmission(ACCOUNT, 'adm:2', NOW + MINUTE)).toBe('voided');
    expect(await redis.getAccount(ACCOUNT)).toEqual({ credits: 5 });
    expect(await redis.voidAdmission(ACCOUNT, 'adm:2', NOW + MINUTE)).toBe('nothing');
    expect(await redis.getAccount(ACCOUNT)).toEqual({ credits: 5 });
  });

  it('opens at most MAX_OPEN_GRANTS grants, refuses an invalid expiry, and keeps a grant key to its expiry', async () => {
    const redis = await row.create();
    stores.push(redis);
    const memory = new MemoryStore({ keepUsage: true });
    const answers = async (s: Store) => {
      const out: unknown[] = [];
      for (let i = 1; i <= 33; i++) out.push(await s.changeCredits(ACCOUNT, { operation: 'grant', amount: i, expiresAt: NOW + i * MINUTE, now: NOW }));
      out.push(await s.changeCredits(ACCOUNT, { operation: 'grant', amount: 5, expiresAt: NOW + 32 * MINUTE, key: 'k', now: NOW }));
      out.push(await s.changeCredits(ACCOUNT, { operation: 'grant', amount: 5, expiresAt: NOW + 32 * MINUTE, key: 'k', now: NOW }));
      out.push(await s.changeCredits(ACCOUNT, { operation: 'grant', amount: 5, expiresAt: NOW + 31 * MINUTE, key: 'k', now: NOW }));
      // 31 minutes on, the first 31 grants have expired: 1 + … + 31 leave the balance.
      out.push(await s.changeCredits(ACCOUNT, { operation: 'debit', amount: 30, key: 'd', now: NOW + 31 * MINUTE }));
      out.push(await s.getAccount(ACCOUNT));
      await expect(Promise.resolve().then(() => s.changeCredits(ACCOUNT, { operation: 'grant', amount: 1, expiresAt: NOW, now: NOW }))).rejects.toThrow(RangeError);
      await expect(Promise.resolve().then(() => s.changeCredits(ACCOUNT, { operation: 'debit', amount: 1, key: 'x', expiresAt: NOW + MINUTE, now: NOW }))).rejects.toThrow(RangeError);
      return out;
    };
    const expected = await answers(memory);
    expect(expected[32]).toEqual({ kind: 'too-many-grants', balance: (32 * 33) / 2 });
    expect(expected.at(-1)).toEqual({ credits: 32 + 5 - 30, grants: [{ amount: 7, expiresAt: NOW + 32 * MINUTE }] });
    expect(await answers(redis)).toEqual(expected);
  });
});

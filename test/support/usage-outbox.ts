// Reading the usage outbox and the counters it must agree with, straight from Redis (store redis
// README, "Usage outbox"): the invariant tests compare them exactly.
import type { Cluster, Redis } from 'ioredis';

export interface Charged {
  readonly overage: number;
  readonly credits: number;
}

/** What the account's outbox stream holds, added up per meter (compensating entries count negative). */
export async function outboxTotals(client: Redis | Cluster, account: string, prefix = 'tollgate'): Promise<Charged & { readonly entries: number }> {
  const entries = (await client.xrange(`${prefix}{${account}}:u`, '-', '+')) as [string, string[]][];
  let overage = 0;
  let credits = 0;
  for (const [, fields] of entries) {
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'o') overage += Number(fields[i + 1]);
      if (fields[i] === 'c') credits += Number(fields[i + 1]);
    }
  }
  return { overage, credits, entries: entries.length };
}

/** The account's billable overage counter for the calendar month holding `now`. */
export async function overageCounter(client: Redis | Cluster, account: string, policy: string, now = Date.now(), prefix = 'tollgate'): Promise<number> {
  const date = new Date(now);
  const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  return Number((await client.get(`${prefix}{${account}}:o:${policy}:${String(monthStart)}`)) ?? 0);
}

/** Per hold key (an entry's `k`), how many outbox entries bill it and the credits they drew. */
export async function outboxByHold(client: Redis | Cluster, account: string, prefix = 'tollgate'): Promise<Map<string, { entries: number; credits: number }>> {
  const entries = (await client.xrange(`${prefix}{${account}}:u`, '-', '+')) as [string, string[]][];
  const byHold = new Map<string, { entries: number; credits: number }>();
  for (const [, fields] of entries) {
    const entry = Object.fromEntries(fields.flatMap((value, i) => (i % 2 === 0 ? [[value, fields[i + 1] as string]] : [])));
    const hold = byHold.get(entry.k ?? '') ?? { entries: 0, credits: 0 };
    hold.entries++;
    hold.credits += Number(entry.c);
    byHold.set(entry.k ?? '', hold);
  }
  return byHold;
}

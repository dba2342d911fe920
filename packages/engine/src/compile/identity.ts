// Who the caller is for accounting: the account whose plan, subscription and credits apply, and
// the scope its rate windows count in. Mirrors Kong's rate-limiting identifiers (a header that is
// missing falls back to the client IP), with two exceptions that keep money exact:
// - the gateway's anonymous consumer (key-auth `anonymous`) is no consumer: its callers are
//   unidentified (x402 challenge, or per-IP limits), never one shared account;
// - with authentication, a header the client chooses identifies nobody: an authenticated consumer
//   is its own account and its windows count per consumer (per-header windows under the consumer,
//   with the plan's limits, could never refuse a request the consumer's own windows admit, so none
//   are kept), and a caller without one counts per client IP.
import type { EngineConfig } from '../config/engine-config.js';
import type { RequestFacts } from '../types.js';

export interface Caller {
  readonly account: string;
  readonly scope: string;
  /** The consumer's username (or id), for templates and the decision log. */
  readonly consumer: string | undefined;
  readonly credential: string | undefined;
  readonly fallbackPlan: string | undefined;
}

export type Identify = (facts: RequestFacts) => Caller | undefined;

export function compileIdentify(config: EngineConfig): Identify {
  const { identity, defaultPlan, consumerPlans } = config;
  const anonymous = identity.anonymousConsumer;
  // One string comparison per request, and only for policies that let anonymous callers in.
  const authenticated =
    anonymous === undefined
      ? consumerName
      : (facts: RequestFacts): string | undefined => {
          const name = consumerName(facts);
          return name === anonymous ? undefined : name;
        };
  const staticPlans = new Map(Object.entries(consumerPlans));
  // Without static consumer plans every caller falls back to the default plan: no lookup per request.
  const planOf =
    staticPlans.size === 0
      ? (): string | undefined => defaultPlan
      : (consumer: string | undefined): string | undefined => (consumer === undefined ? undefined : staticPlans.get(consumer)) ?? defaultPlan;
  const caller = (account: string, scope: string, facts: RequestFacts, consumer: string | undefined): Caller => ({
    account,
    scope,
    consumer,
    credential: facts.credentialId,
    fallbackPlan: planOf(consumer),
  });

  switch (identity.limitBy) {
    case 'consumer':
      return (facts) => {
        const consumer = authenticated(facts);
        return consumer === undefined ? undefined : caller(accountId(consumer), '', facts, consumer);
      };
    case 'credential':
      return (facts) => {
        const consumer = authenticated(facts);
        const credential = facts.credentialId;
        if (credential === undefined || credential === '') return undefined;
        return caller(consumer === undefined ? accountId(`cred:${credential}`) : accountId(consumer), `cred:${credential}`, facts, consumer);
      };
    case 'header': {
      if (identity.auth !== 'none') {
        return (facts) => {
          const consumer = authenticated(facts);
          return caller(accountId(consumer ?? `ip:${facts.clientIp}`), '', facts, consumer);
        };
      }
      const header = (identity.header ?? '').toLowerCase();
      return (facts) => {
        const value = first(facts.headers[header]);
        const id = value === undefined || value === '' ? `ip:${facts.clientIp}` : `hdr:${value}`;
        return caller(accountId(id), '', facts, consumerName(facts));
      };
    }
    case 'ip':
      return (facts) => caller(accountId(`ip:${facts.clientIp}`), '', facts, authenticated(facts));
  }
}

export function consumerName(facts: RequestFacts): string | undefined {
  const c = facts.consumer;
  if (c === undefined) return undefined;
  return nonEmpty(c.username) ?? nonEmpty(c.id) ?? nonEmpty(c.customId);
}

/** Account ids are Redis Cluster hash tags: `{`, `}` (and `%`, to stay reversible) are percent-encoded. */
export function accountId(raw: string): string {
  // Plain substring checks before the regex: most ids have none of these, and this runs on every request.
  const plain = !raw.includes('{') && !raw.includes('}') && !raw.includes('%');
  return plain ? raw : raw.replace(/[{}%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function first(value: string | readonly string[] | true | undefined): string | undefined {
  if (value === undefined || value === true) return undefined;
  return typeof value === 'string' ? value : value[0];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

// Redis key names. Every key of an account is `<prefix>{<account>}:<suffix>`: the braces make the
// whole account id the Cluster hash tag, so one decision touches one slot. Scripts build the
// counter keys themselves from the key base (store README, "Keys").
export const ACCOUNT_SUFFIX = 'a';
export const LEDGER_SUFFIX = 'l:';
export const PAYMENT_SUFFIX = 'p';
/** The account's usage outbox, a stream (lua/holds.ts, appendUsage; README, "Usage outbox"). */
export const USAGE_SUFFIX = 'u';
/** The consumer group every shipper reads the outbox streams with (the void script asks it whether an entry was read). */
export const USAGE_GROUP = 'tollgate-meter';
/** A notice's dedupe key: `n:<notice key>`; an account's credit notices share one hash. */
export const NOTICE_SUFFIX = 'n:';
export const CREDIT_NOTICES_SUFFIX = 'nc';

/** Payment replay keys are their own Cluster hash tag: each claim is one key in one slot. */
export function paymentKey(prefix: string, replayKey: string): string {
  return `${keyBase(prefix, `x402:${replayKey}`)}${PAYMENT_SUFFIX}`;
}

/** `<prefix>{<account>}:` — account ids are already percent-encoded so `{`/`}` never occur in them. */
export function keyBase(prefix: string, account: string): string {
  return `${prefix}{${account}}:`;
}

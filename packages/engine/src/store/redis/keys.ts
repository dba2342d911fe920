// Redis key names. Every key of an account is `<prefix>{<account>}:<suffix>`: the braces make the
// whole account id the Cluster hash tag, so one decision touches one slot. Scripts build the
// counter keys themselves from the key base (store README, "Keys").
export const ACCOUNT_SUFFIX = 'a';
export const LEDGER_SUFFIX = 'l:';

/** `<prefix>{<account>}:` — account ids are already percent-encoded so `{`/`}` never occur in them. */
export function keyBase(prefix: string, account: string): string {
  return `${prefix}{${account}}:`;
}

// How environment references in policies become references each gateway resolves at deploy or
// run time. Secrets never appear in compiled files.
import type { EnvRef } from '@tollgate/policy';

/** decK only substitutes variables whose names start with DECK_: NAME becomes DECK_NAME unless it already does. */
export function deckEnvName(ref: EnvRef): string {
  return ref.env.startsWith('DECK_') ? ref.env : `DECK_${ref.env}`;
}

/** decK's template, filled in by `deck gateway sync` from the environment. */
export function deckEnvTemplate(ref: EnvRef): string {
  return `\${{ env "${deckEnvName(ref)}" }}`;
}

/**
 * Kong's env vault reference, resolved by each data plane node from its own environment (for
 * referenceable fields such as rate-limiting's redis.password). The vault maps the resource back by
 * replacing "-" with "_" and upper-casing, so NAME round-trips.
 */
export function kongVaultRef(ref: EnvRef): string {
  return `{vault://env/${ref.env.toLowerCase().replace(/_/g, '-')}}`;
}

/** APISIX's secret reference, resolved by the data plane from its own environment. */
export function apisixEnvRef(ref: EnvRef): string {
  return `$env://${ref.env}`;
}

// The offer checked against the facilitator's GET /supported once the engine starts (x402 v2
// specification, facilitator API: `kinds` of {x402Version, scheme, network, extra?} and `signers`):
// each payment option's scheme on its network must be a v2 kind, and an upto option's
// extra.facilitatorAddress (which clients sign into the permit's witness) must be an address the
// facilitator gives. A mismatch or a facilitator that cannot be asked is reported (decision log,
// metrics) and nothing else: payments keep being verified per request, where the facilitator's own
// answer decides, and no request ever waits for this check.
import type { X402PaymentOption } from '@tollgate/policy/schema';
import type { SupportedResponse } from '@x402/core/types';
import type { Observer } from '../ops/observer.js';
import type { Facilitator } from './facilitator.js';

/** What the facilitator will not take, one line per option; empty when it takes them all. */
export function unsupportedOptions(options: readonly X402PaymentOption[], supported: SupportedResponse): string[] {
  const problems: string[] = [];
  for (const option of options) {
    const label = `${option.scheme} on ${option.network}`;
    const kinds = supported.kinds.filter((kind) => kind.x402Version === 2 && kind.scheme === option.scheme && kind.network === option.network);
    if (kinds.length === 0) {
      problems.push(`${label} is not among the facilitator's supported kinds`);
      continue;
    }
    const wanted = option.extra?.facilitatorAddress;
    if (option.scheme !== 'upto' || wanted === undefined) continue;
    const namespace = option.network.split(':')[0] ?? '';
    const given = [...kinds.map((kind) => kind.extra?.facilitatorAddress), ...(supported.signers[`${namespace}:*`] ?? []), ...(supported.signers[option.network] ?? [])];
    if (!given.some((address) => typeof address === 'string' && address.toLowerCase() === wanted.toLowerCase())) {
      problems.push(`${label}: extra.facilitatorAddress ${wanted} is none of the facilitator's addresses (clients would sign permits it cannot settle)`);
    }
  }
  return problems;
}

/** Asks once and reports; never rejects. */
export async function checkOfferSupport(policy: string, options: readonly X402PaymentOption[], facilitator: Facilitator, observer: Observer): Promise<void> {
  const answer = await facilitator.supported();
  if (answer.kind === 'unavailable') {
    observer.offerChecked({ policy, facilitator: facilitator.url, outcome: 'unchecked', options: options.length, unsupported: [], error: answer.error });
    return;
  }
  const unsupported = unsupportedOptions(options, answer.response);
  observer.offerChecked({ policy, facilitator: facilitator.url, outcome: unsupported.length === 0 ? 'supported' : 'unsupported', options: options.length, unsupported });
}

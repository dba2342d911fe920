// The engine's side of metered routes: what an admission on one holds (Admission.cost, its
// estimate) and what its Allow hands the adapter (the follow-up that settles it, what to capture).
import type { EngineConfig } from '../config/engine-config.js';
import { encodeFollowUp, type MeterWork } from '../follow-up.js';
import type { FollowUp, RequestFacts, ResponseFacts, ResponseObservation } from '../types.js';
import { actualCost, admitMetered, compileMeters, type Meter, type MeteredAdmission } from './meter.js';

export type { MeteredAdmission };

export type MeteredRoutesCompile = { readonly ok: true; readonly routes: MeteredRoutes } | { readonly ok: false; readonly errors: readonly string[] };

export class MeteredRoutes {
  static compile(config: EngineConfig): MeteredRoutesCompile {
    const compiled = compileMeters(config);
    return compiled.ok ? { ok: true, routes: new MeteredRoutes(compiled.meters) } : compiled;
  }

  private constructor(readonly meters: ReadonlyMap<string, Meter>) {}

  /** On a metered route: the admission's cost (its estimate) and what its settlement needs; else undefined. */
  admission(route: string, facts: RequestFacts): { readonly cost: number; readonly metered: MeteredAdmission } | undefined {
    const meter = this.meters.size === 0 ? undefined : this.meters.get(route);
    if (meter === undefined) return undefined;
    const metered = admitMetered(meter, facts);
    return { cost: metered.estimate, metered };
  }

  /**
   * What a metered route's Allow carries: always a follow-up (even a zero estimate may settle at
   * more), and what the adapter captures of the response.
   */
  allow(route: string, account: string, holdKey: string, metered: MeteredAdmission, requestId: string | undefined): { readonly followUp: FollowUp; readonly observe: ResponseObservation } {
    const work = workOf(route, metered, requestId);
    return { followUp: encodeFollowUp({ hold: { account, key: holdKey }, meter: work }), observe: (this.meters.get(route) as Meter).observe };
  }

  /**
   * On a metered route, what a request paid with x402 carries besides its payment (it holds
   * nothing in the store): the meter its settlement reads the cost with (an `upto` payment is
   * settled at that many units), and what the adapter captures. Undefined elsewhere. `admitted`:
   * what `admission` already read of these facts (a caller the store refused with a 402), else
   * read here (an unidentified caller).
   */
  paid(route: string, facts: RequestFacts, admitted?: MeteredAdmission): { readonly meter: MeterWork; readonly observe: ResponseObservation } | undefined {
    const meter = this.meters.size === 0 ? undefined : this.meters.get(route);
    if (meter === undefined) return undefined;
    return { meter: workOf(route, admitted ?? admitMetered(meter, facts), facts.requestId), observe: meter.observe };
  }

  /**
   * What an Allow that settles nothing (the store was down, onFailure open) asks of the adapter on
   * a metered route: still to take the cost header off the client's response. Nothing to capture.
   */
  unsettled(route: string): { readonly observe?: ResponseObservation } {
    const header = this.meters.size === 0 ? undefined : this.meters.get(route)?.observe.header;
    return header === undefined ? {} : { observe: { header } };
  }

  /** The actual cost the response states for this metered request, or undefined when it states none that can be read. */
  actual(work: MeterWork, response: ResponseFacts | undefined): number | undefined {
    const meter = this.meters.get(work.route);
    return meter === undefined ? undefined : actualCost(meter, { estimate: work.estimate, ...(work.price === undefined ? {} : { price: work.price }) }, response);
  }
}

function workOf(route: string, metered: MeteredAdmission, requestId: string | undefined): MeterWork {
  return { route, estimate: metered.estimate, ...(metered.price === undefined ? {} : { price: metered.price }), ...(requestId === undefined ? {} : { requestId }) };
}

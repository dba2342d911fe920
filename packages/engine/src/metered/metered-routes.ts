// The engine's side of metered routes: what an admission on one holds (Admission.cost, its
// estimate) and what its Allow hands the adapter (the follow-up that settles it, what to capture).
import type { EngineConfig } from '../config/engine-config.js';
import { encodeFollowUp, type MeterWork } from '../follow-up.js';
import type { FollowUp, RequestFacts, ResponseObservation } from '../types.js';
import { admitMetered, compileMeters, type Meter, type MeteredAdmission } from './meter.js';

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
    const meter = this.meters.get(route) as Meter;
    const work: MeterWork = {
      route,
      estimate: metered.estimate,
      ...(metered.price === undefined ? {} : { price: metered.price }),
      ...(requestId === undefined ? {} : { requestId }),
    };
    return { followUp: encodeFollowUp({ hold: { account, key: holdKey }, meter: work }), observe: meter.observe };
  }
}

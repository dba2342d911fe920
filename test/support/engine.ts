// An engine on the system clock over a given store, and the forecast request the money-path tests
// send through it (a consumer's GET /v1/forecast, as the gateways hand it over).
import { createEngine, systemClock, type Decision, type Engine, type EngineConfig, type Store } from '../../packages/engine/src/index.js';
import { factsOf } from './vectors.js';

export function engineOn(config: EngineConfig, store: Store): Engine {
  const compiled = createEngine(config, store, systemClock);
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.engine;
}

export const decide = (engine: Engine, consumer: string): Promise<Decision> => Promise.resolve(engine.decide(factsOf({ method: 'GET', path: '/v1/forecast', consumer })));

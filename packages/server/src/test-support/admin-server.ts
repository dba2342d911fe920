// The admin server as its endpoint tests run it: a memory store on a manual clock, the policy's
// engine (or none, for the "no policy loaded" answers), listening on a free port.
import { createAccounts, createEngine, createMemoryStore, ManualClock, type Engine, type EngineConfig } from '@tollgate/engine';
import { createAdminServer } from '../admin/admin-handler.js';
import { listen, type Listening } from './listen.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface AdminUnderTest {
  readonly server: Listening;
  readonly engine: Engine;
}

export async function startAdminServer(config: EngineConfig, now: number, withEngine = true): Promise<AdminUnderTest> {
  const store = createMemoryStore();
  const clock = new ManualClock(now);
  const compiled = createEngine(config, store, clock);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  const { engine } = compiled;
  const server = await listen(createAdminServer({ accounts: createAccounts(store, clock), token: ADMIN_TOKEN, ...(withEngine ? { engine } : {}) }));
  return { server, engine };
}

// Runs every conformance vector through the engine, against every store. A Redis store joins by
// adding a row to STORES.
import { describe, expect, it } from 'vitest';
import {
  createAccounts,
  createEngine,
  createMemoryStore,
  ManualClock,
  playRequest,
  type Store,
} from '../packages/engine/src/index.js';
import { applyOperation, compareResponse, seedAccounts, loadVectors, subsetProblems, type Vector } from './support/vectors.js';
import { unreachableStore } from '../packages/engine/src/store/test-support/failing-stores.js';
import { redisStoresUnderTest } from './support/redis.js';

interface StoreUnderTest {
  readonly name: string;
  create(): Promise<Store> | Store;
}

const STORES: StoreUnderTest[] = [{ name: 'memory', create: () => createMemoryStore() }, ...redisStoresUnderTest()];

const vectors = loadVectors();

describe('conformance vectors', () => {
  it('has at least 40 vectors with unique names', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(40);
    expect(new Set(vectors.map((v) => v.name)).size).toBe(vectors.length);
  });
});

describe.each(STORES)('conformance vectors on the $name store', (storeUnderTest) => {
  it.each(vectors.map((v) => [v.file, v] as const))('%s', async (_file, vector) => {
    const store = await storeUnderTest.create();
    try {
      await runVector(vector, store);
    } finally {
      await store.close();
    }
  });
});

async function runVector(vector: Vector, realStore: Store): Promise<void> {
  const clock = new ManualClock(vector.start);
  const store = vector.storeUnreachable ? unreachableStore() : realStore;
  const accounts = createAccounts(realStore, clock);
  await seedAccounts(vector, realStore, accounts);
  const compiled = createEngine(vector.config, store, clock);
  if (!compiled.ok) throw new Error(`${vector.file}: ${compiled.errors.join('; ')}`);
  const engine = compiled.engine;

  for (const step of vector.steps) {
    clock.advance(step.advance);
    for (let n = 1; n <= step.repeat; n++) {
      const where = step.repeat > 1 ? `${step.where} (request ${n} of ${step.repeat})` : step.where;
      let problems: string[];
      if (step.request !== undefined) {
        const observed = await playRequest(engine, step.request, { status: step.upstreamStatus, ...step.upstreamResponse });
        problems = compareResponse(step.expect, observed);
      } else if (step.op !== undefined) {
        problems = await applyOperation(step, accounts);
      } else {
        problems = ['step has neither request nor op'];
      }
      for (const [id, members] of Object.entries(step.state ?? {})) problems.push(...subsetProblems(`state ${id}`, members, await realStore.getAccount(id)));
      expect(problems, where).toEqual([]);
    }
  }
}

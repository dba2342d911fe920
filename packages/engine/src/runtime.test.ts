import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_CLOCK_ENV } from './clock.js';
import type { EngineConfig } from './config/engine-config.js';
import { createRuntime, type Runtime } from './runtime.js';

const config = (policy: string, extra: Partial<EngineConfig> = {}): string =>
  JSON.stringify({
    version: 1,
    policy,
    routes: [{ name: 'r', paths: ['/'] }],
    identity: { auth: 'key-auth', limitBy: 'consumer' },
    plans: [{ name: 'free', plan: { rateLimit: { minute: 1 } } }],
    defaultPlan: 'free',
    consumerPlans: {},
    costs: {},
    store: { kind: 'memory' },
    ...extra,
  } satisfies EngineConfig);

const facts = { method: 'GET', path: '/', headers: {}, query: {}, clientIp: '192.0.2.1', consumer: { username: 'alice' } };

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
});

describe('runtime', () => {
  it('compiles each config text once and lists every problem of a bad one', () => {
    runtime = createRuntime({ router: 'kong-atc', env: {} });
    const first = runtime.engineFor(config('a'));
    expect(first.ok).toBe(true);
    expect(runtime.engineFor(config('a'))).toBe(first);
    expect(runtime.engineFor('{"version":1}')).toMatchObject({ ok: false, errors: expect.arrayContaining(["/: must have required property 'policy'"]) });
  });

  it('resolves store secrets from the environment and names what is missing', () => {
    runtime = createRuntime({ router: 'kong-atc', env: {} });
    expect(runtime.engineFor(config('a', { store: { kind: 'redis', url: { env: 'TOLLGATE_REDIS_URL' } } }))).toMatchObject({
      ok: false,
      errors: expect.arrayContaining(['/store/url: environment variable TOLLGATE_REDIS_URL is not set']),
    });
  });

  it('shares one memory store between configs, so accounts are shared', async () => {
    runtime = createRuntime({ router: 'kong-atc', env: {} });
    const a = runtime.engineFor(config('a', { plans: [{ name: 'free', plan: { credits: true } }] }));
    const b = runtime.engineFor(config('b', { plans: [{ name: 'free', plan: { credits: true } }], costs: { default: 2 } }));
    if (!a.ok || !b.ok) throw new Error('configs must compile');
    expect((await a.engine.decide(facts)).kind).toBe('deny');
    expect((await b.engine.decide(facts)).kind).toBe('deny');
  });

  it('reads the TEST-ONLY clock file when TOLLGATE_TEST_CLOCK_FILE is set', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tollgate-clock-')), 'now');
    writeFileSync(file, String(Date.parse('2026-03-10T12:00:59Z')));
    runtime = createRuntime({ router: 'kong-atc', env: { [TEST_CLOCK_ENV]: file } });
    const compiled = runtime.engineFor(config('clocked'));
    if (!compiled.ok) throw new Error('config must compile');
    expect(await compiled.engine.decide(facts)).toMatchObject({ kind: 'allow', responseHeaders: { RateLimit: '"minute";r=0;t=1' } });
    expect(await compiled.engine.decide(facts)).toMatchObject({ kind: 'deny', status: 429 });
    writeFileSync(file, String(Date.parse('2026-03-10T12:01:00Z')));
    expect(await compiled.engine.decide(facts)).toMatchObject({ kind: 'allow' });
  });
});

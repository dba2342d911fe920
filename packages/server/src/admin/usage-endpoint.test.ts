// The admin API's usage endpoint: an account's usage as it stands, the report the policy's usage
// endpoint gives customers (Engine.usage), with nothing counted for a request and nothing written.
import { whyFacts, type Engine, type EngineConfig, type UsageReport } from '@tollgate/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE_CONFIG } from '../../../../test/support/vectors.js';
import { ADMIN_TOKEN, startAdminServer } from '../test-support/admin-server.js';
import type { Listening } from '../test-support/listen.js';

const TOKEN = ADMIN_TOKEN;
const NOW = Date.UTC(2026, 0, 15, 12, 0, 30);
const CONFIG: EngineConfig = {
  ...BASE_CONFIG,
  plans: [{ name: 'free', plan: { rateLimit: { minute: 2 }, quota: { requests: 10, per: 'month' }, routes: ['forecast'] } }],
  defaultPlan: 'free',
};

let server: Listening;
let engine: Engine;

async function start(withEngine = true): Promise<void> {
  ({ server, engine } = await startAdminServer(CONFIG, NOW, withEngine));
}

function usage(account: string, init: RequestInit = {}, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${server.url}/v1/accounts/${encodeURIComponent(account)}/usage`, { ...init, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
}

async function report(account: string): Promise<UsageReport> {
  const response = await usage(account);
  expect([response.status, response.headers.get('content-type')]).toEqual([200, 'application/json']);
  return (await response.json()) as UsageReport;
}

const forecast = () => engine.decide(whyFacts({ account: 'alice', method: 'GET', path: '/v1/forecast' }, CONFIG));

afterEach(async () => {
  await server.close();
});

describe('admin API: GET /v1/accounts/{account}/usage', () => {
  it('reports the counters as they stand, counting nothing, and writes nothing', async () => {
    await start();
    expect((await forecast()).kind).toBe('allow');
    const expected = {
      account: 'alice',
      plan: 'free',
      credits: 0,
      quotas: [{ unit: 'requests', limit: 10, used: 1, remaining: 9, resetAt: '2026-02-01T00:00:00.000Z' }],
      rateLimits: [{ window: 'minute', limit: 2, remaining: 1, resetSeconds: 30 }],
    };
    for (let i = 0; i < 3; i++) expect(await report('alice')).toEqual(expected);
    // The why dry run of the same request counts it in: the bars must not.
    expect((await (await fetch(`${server.url}/v1/accounts/alice/why`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"method":"GET","path":"/v1/forecast"}' })).json()) as { quotas: { used: number }[] }).toMatchObject({ quotas: [{ used: 2 }] });
    // minute: 2 — the reads counted nothing, so one more request passes, then the window is full.
    expect([(await forecast()).kind, (await forecast()).kind]).toEqual(['allow', 'deny']);
    expect(await report('alice')).toEqual({ ...expected, quotas: [{ ...expected.quotas[0], used: 2, remaining: 8 }], rateLimits: [{ ...expected.rateLimits[0], remaining: 0 }] });
    expect(await report('alice')).toEqual(await engine.usage(whyFacts({ account: 'alice', method: 'GET', path: '/' }, CONFIG)));
  });

  it('needs the token and a GET; an account the identity cannot yield is a 400 problem', async () => {
    await start();
    expect((await usage('alice', {}, null)).status).toBe(401);
    const post = await usage('alice', { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET']);
    const nobody = await usage('ip:10.0.0.1'); // the policy identifies consumers only
    expect([nobody.status, nobody.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
    expect(await nobody.json()).toMatchObject({ detail: "the account ip:10.0.0.1 is not one the policy's identity yields, so it has no usage" });
  });

  it('answers 404 without a policy, saying how to start the server with one', async () => {
    await start(false);
    const response = await usage('alice');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ type: 'https://tollgate.dev/problems/server/not-found', detail: expect.stringContaining('--policies <dir> --policy <name>') });
  });
});

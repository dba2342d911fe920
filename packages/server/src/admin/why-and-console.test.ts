// The admin API's why endpoint (the dry run `tollgate why --json` prints, for an account in the
// path) and the console page it serves without a token.
import { readFileSync } from 'node:fs';
import { explainTrace, whyFacts, type Engine, type EngineConfig, type Explanation } from '@tollgate/engine';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BASE_CONFIG } from '../../../../test/support/vectors.js';
import { ADMIN_TOKEN, startAdminServer } from '../test-support/admin-server.js';
import type { Listening } from '../test-support/listen.js';
import { CONSOLE_CSP } from './console-files.js';

const TOKEN = ADMIN_TOKEN;
const NOW = Date.UTC(2026, 0, 15, 12);
const CONFIG: EngineConfig = {
  ...BASE_CONFIG,
  plans: [
    { name: 'free', plan: { rateLimit: { minute: 2 }, quota: { requests: 10, per: 'month' }, routes: ['forecast'] } },
    { name: 'pro', plan: {} },
  ],
  defaultPlan: 'free',
};

let server: Listening;
let engine: Engine;

async function start(withEngine = true): Promise<void> {
  ({ server, engine } = await startAdminServer(CONFIG, NOW, withEngine));
}

function why(account: string, body: unknown, token: string | null = TOKEN): Promise<Response> {
  return fetch(`${server.url}/v1/accounts/${encodeURIComponent(account)}/why`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
}

afterEach(async () => {
  await server.close();
});

describe('admin API: POST /v1/accounts/{account}/why', () => {
  beforeEach(() => start());

  it('answers the dry run why --json prints, and writes nothing', async () => {
    const request = { method: 'get', path: '/v1/forecast', headers: { 'X-Trace': ' a ' } };
    for (let i = 0; i < 3; i++) {
      const response = await why('alice', request);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(explainTrace(await engine.explain(whyFacts({ account: 'alice', ...request }, CONFIG))));
    }
    const trace = explainTrace(await engine.explain(whyFacts({ account: 'alice', ...request }, CONFIG)));
    expect(trace.quotas).toEqual([expect.objectContaining({ unit: 'requests', used: 1, limit: 10 })]);
    // minute: 2 — three dry runs counted nothing, so two requests still pass.
    const facts = whyFacts({ account: 'alice', method: 'GET', path: '/v1/forecast' }, CONFIG);
    expect([(await engine.decide(facts)).kind, (await engine.decide(facts)).kind, (await engine.decide(facts)).kind]).toEqual(['allow', 'allow', 'deny']);
  });

  it('explains a refusal with its reason, the problem the caller gets and what to do', async () => {
    const body = (await (await why('alice', { method: 'GET', path: '/v1/history' })).json()) as Explanation;
    expect(body.decision).toMatchObject({ kind: 'deny', status: 402, reason: 'plan-upgrade-required' });
    expect(body.advice.operator).toEqual(['tollgate account set-plan alice pro']);
  });

  it('needs the token, a POST and a well-formed request', async () => {
    expect((await why('alice', { method: 'GET', path: '/' }, null)).status).toBe(401);
    const get = await fetch(`${server.url}/v1/accounts/alice/why`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    const bad = await why('alice', { method: 'G E T', path: 'v1', headers: { a: 1 }, body: { jsonrpc: '2.0' }, extra: true });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: string[] }).errors).toEqual([
      'unknown member "extra" (allowed: method, path, host, headers, credential, body)',
      'method must be an HTTP method such as GET',
      'path must be a string starting with "/"',
      'body must be a string (the raw request body)',
      'headers must be an object of header names to string values',
    ]);
  });
});

describe('admin API: why without a policy', () => {
  beforeEach(() => start(false));

  it('answers 404 saying how to start the server with one', async () => {
    const response = await why('alice', { method: 'GET', path: '/v1/forecast' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ type: 'https://tollgate.dev/problems/server/not-found', detail: expect.stringContaining('--policies <dir> --policy <name>') });
  });
});

describe('admin console page', () => {
  beforeEach(() => start());

  it.each([
    ['/console/', 'text/html; charset=utf-8', 'index.html'],
    ['/console/console.js', 'text/javascript; charset=utf-8', 'console.js'],
    ['/console/console.css', 'text/css; charset=utf-8', 'console.css'],
  ])('serves %s without a token, under the CSP', async (path, type, file) => {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe(readFileSync(new URL(`../../console/${file}`, import.meta.url), 'utf8'));
  });

  it('redirects /console to /console/, and serves nothing else without the token', async () => {
    const redirect = await fetch(`${server.url}/console`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([308, '/console/']);
    expect((await fetch(`${server.url}/console/other.js`)).status).toBe(401);
    expect((await fetch(`${server.url}/console/`, { method: 'POST' })).status).toBe(401);
  });

  it('has no inline script, style or event handler the CSP would block', () => {
    const html = readFileSync(new URL('../../console/index.html', import.meta.url), 'utf8');
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="console.js">']);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
  });
});

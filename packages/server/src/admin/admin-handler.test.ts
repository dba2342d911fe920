import { createAccounts, createMemoryStore, ManualClock, type Accounts } from '@tollgate/engine';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listen, type Listening } from '../test-support/listen.js';
import { AdminConfigError, createAdminServer } from './admin-handler.js';

const TOKEN = 'test-admin-token-0123456789';
const NOW = Date.UTC(2026, 0, 15);

let server: Listening;
let accounts: Accounts;

async function start(overrides: Partial<Parameters<typeof createAdminServer>[0]> = {}): Promise<void> {
  accounts = createAccounts(createMemoryStore(), new ManualClock(NOW));
  server = await listen(createAdminServer({ accounts, token: TOKEN, ...overrides }));
}

function call(method: string, path: string, options: { body?: unknown; raw?: string; headers?: Record<string, string>; token?: string | null } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  return fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

afterEach(async () => {
  await server.close();
});

describe('admin API: configuration', () => {
  beforeEach(() => start());

  it('refuses to start without a token or with a short one, saying what to set', () => {
    const base = { accounts: createAccounts(createMemoryStore(), new ManualClock(NOW)) };
    expect(() => createAdminServer({ ...base, token: undefined })).toThrow(AdminConfigError);
    expect(() => createAdminServer({ ...base, token: '' })).toThrow(/TOLLGATE_ADMIN_TOKEN/);
    expect(() => createAdminServer({ ...base, token: 'short' })).toThrow(/at least 16 characters/);
  });
});

describe('admin API: authentication', () => {
  beforeEach(() => start());

  it('answers 401 with a Bearer challenge without a token', async () => {
    const response = await call('GET', '/v1/accounts/alice', { token: null });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="tollgate-admin"');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await json(response)).toMatchObject({ status: 401, type: 'https://tollgate.dev/problems/server/unauthorized' });
  });

  it.each([
    ['a wrong token', { authorization: `Bearer ${TOKEN}x` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['another scheme', { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('answers 401 invalid_token for %s and changes nothing', async (_, headers) => {
    const response = await call('POST', '/v1/accounts/alice/credits/grant', { token: null, headers: { ...headers, 'idempotency-key': '"k1"' }, body: { amount: 5 } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="tollgate-admin", error="invalid_token"');
    expect((await accounts.show('alice')).credits).toBe(0);
  });

  it('checks the token before revealing whether a path exists', async () => {
    expect((await call('GET', '/nope', { token: null })).status).toBe(401);
    expect((await call('GET', '/nope')).status).toBe(404);
  });

  it('serves the health check without a token', async () => {
    const response = await call('GET', '/healthz', { token: null });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: 'ok' });
  });
});

describe('admin API: account operations', () => {
  beforeEach(() => start());

  it('shows an account never seen as empty', async () => {
    const response = await call('GET', '/v1/accounts/alice');
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ account: 'alice', credits: 0 });
  });

  it('sets and clears the plan', async () => {
    expect(await json(await call('PUT', '/v1/accounts/alice/plan', { body: { plan: 'pro' } }))).toEqual({ account: 'alice', plan: 'pro', credits: 0 });
    expect((await accounts.show('alice')).plan).toBe('pro');
    expect(await json(await call('PUT', '/v1/accounts/alice/plan', { body: { plan: null } }))).toEqual({ account: 'alice', credits: 0 });
  });

  it('sets the status with paidThrough and periodAnchor as ISO instants', async () => {
    const response = await call('PUT', '/v1/accounts/alice/status', { body: { status: 'active', paidThrough: '2026-02-15T00:00:00Z', periodAnchor: '2026-01-15T00:00:00.000Z' } });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ account: 'alice', status: 'active', paidThrough: '2026-02-15T00:00:00.000Z', periodAnchor: '2026-01-15T00:00:00.000Z', credits: 0 });
    expect(await accounts.show('alice')).toMatchObject({ status: 'active', paidThrough: Date.UTC(2026, 1, 15), periodAnchor: NOW });
  });

  it('addresses accounts that need percent-encoding (ip:, hdr:, braces)', async () => {
    await call('PUT', `/v1/accounts/${encodeURIComponent('hdr:{team}/a')}/plan`, { body: { plan: 'free' } });
    expect((await accounts.show('hdr:{team}/a')).plan).toBe('free');
    expect(await json(await call('GET', `/v1/accounts/${encodeURIComponent('ip:10.0.0.1')}`))).toEqual({ account: 'ip:10.0.0.1', credits: 0 });
  });

  it('grants, debits and refunds, each once per Idempotency-Key', async () => {
    const grant = () => call('POST', '/v1/accounts/alice/credits/grant', { headers: { 'idempotency-key': '"grant-1"' }, body: { amount: 10 } });
    expect(await json(await grant())).toEqual({ account: 'alice', operation: 'grant', result: 'applied', balance: 10 });
    expect(await json(await grant())).toEqual({ account: 'alice', operation: 'grant', result: 'duplicate', balance: 10 });
    const debit = await call('POST', '/v1/accounts/alice/credits/debit', { headers: { 'idempotency-key': 'bare-debit-1' }, body: { amount: 4 } });
    expect(await json(debit)).toMatchObject({ result: 'applied', balance: 6 });
    const refund = await call('POST', '/v1/accounts/alice/credits/refund', { headers: { 'idempotency-key': '"refund-1"' }, body: { amount: 1 } });
    expect(await json(refund)).toMatchObject({ result: 'applied', balance: 7 });
    expect((await accounts.show('alice')).credits).toBe(7);
  });

  it('grants credits that expire (RFC 3339 expiresAt), shows them, and spends them first', async () => {
    const grant = (key: string, amount: number, expiresAt: string) => call('POST', '/v1/accounts/alice/credits/grant', { headers: { 'idempotency-key': `"${key}"` }, body: { amount, expiresAt } });
    await accounts.changeCredits('alice', 'grant', 100);
    expect(await json(await grant('trial', 30, '2026-01-15T10:00:00+02:00'))).toEqual({ account: 'alice', operation: 'grant', result: 'applied', balance: 130 });
    expect(await json(await grant('trial', 30, '2026-01-15T10:00:00+02:00'))).toMatchObject({ result: 'duplicate', balance: 130 });
    await call('POST', '/v1/accounts/alice/credits/debit', { headers: { 'idempotency-key': '"d"' }, body: { amount: 10 } });
    expect(await json(await call('GET', '/v1/accounts/alice'))).toEqual({ account: 'alice', credits: 120, grants: [{ amount: 20, expiresAt: '2026-01-15T08:00:00.000Z' }] });
    // The same key with another expiry is another grant: refused, nothing changed.
    expect((await grant('trial', 30, '2026-01-16T00:00:00Z')).status).toBe(422);
    // A refund naming the debit gives it back to the grant it took from.
    const refund = (key: string, debit: string) => call('POST', '/v1/accounts/alice/credits/refund', { headers: { 'idempotency-key': `"${key}"` }, body: { amount: 10, debit } });
    expect(await json(await refund('r1', 'd'))).toMatchObject({ result: 'applied', balance: 130 });
    expect(await json(await call('GET', '/v1/accounts/alice'))).toMatchObject({ grants: [{ amount: 30, expiresAt: '2026-01-15T08:00:00.000Z' }] });
    const unknown = await refund('r2', 'never-sent');
    expect(unknown.status).toBe(422);
    expect(await json(unknown)).toMatchObject({ type: 'https://tollgate.dev/problems/server/no-such-debit', balance: 130 });
  });

  it('applies concurrent retries of one debit once', async () => {
    await accounts.changeCredits('alice', 'grant', 100);
    const debit = () => call('POST', '/v1/accounts/alice/credits/debit', { headers: { 'idempotency-key': '"same"' }, body: { amount: 30 } }).then(json);
    const results = await Promise.all(Array.from({ length: 8 }, debit));
    expect(results.filter((r) => r.result === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r.result === 'duplicate')).toHaveLength(7);
    expect((await accounts.show('alice')).credits).toBe(70);
  });
});

describe('admin API: unhappy paths', () => {
  beforeEach(() => start({ maxBodyBytes: 256 }));

  async function problem(response: Response, status: number, type: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = await json(response);
    expect(body).toMatchObject({ status, type: `https://tollgate.dev/problems/server/${type}` });
    expect(typeof body.detail).toBe('string');
    return body;
  }

  it('answers 400 idempotency-key-missing for a credit operation without a key', async () => {
    const body = await problem(await call('POST', '/v1/accounts/alice/credits/grant', { body: { amount: 1 } }), 400, 'idempotency-key-missing');
    expect(body.detail).toMatch(/Idempotency-Key/);
    expect((await accounts.show('alice')).credits).toBe(0);
  });

  it.each([['"unterminated'], ['"a";p=1'], ['"has space" extra'], ['x'.repeat(201)], ['"é"']])('answers 400 for the malformed key %s', async (key) => {
    await problem(await call('POST', '/v1/accounts/alice/credits/grant', { headers: { 'idempotency-key': key }, body: { amount: 1 } }), 400, 'bad-request');
  });

  it('answers 422 when a key is reused with a different amount, and changes nothing', async () => {
    const send = (amount: number) => call('POST', '/v1/accounts/alice/credits/grant', { headers: { 'idempotency-key': '"k"' }, body: { amount } });
    await send(5);
    const body = await problem(await send(6), 422, 'idempotency-key-reused');
    expect(body.balance).toBe(5);
  });

  it('answers 409 for a debit above the balance, and changes nothing', async () => {
    await accounts.changeCredits('alice', 'grant', 3);
    const body = await problem(await call('POST', '/v1/accounts/alice/credits/debit', { headers: { 'idempotency-key': '"d"' }, body: { amount: 4 } }), 409, 'insufficient-credits');
    expect(body.balance).toBe(3);
    expect((await accounts.show('alice')).credits).toBe(3);
  });

  it('answers 422 for a grant that would take the balance past 2^53 - 1, and changes nothing', async () => {
    await accounts.changeCredits('alice', 'grant', Number.MAX_SAFE_INTEGER - 1);
    const body = await problem(await call('POST', '/v1/accounts/alice/credits/grant', { headers: { 'idempotency-key': '"g"' }, body: { amount: 2 } }), 422, 'balance-out-of-range');
    expect(body.balance).toBe(Number.MAX_SAFE_INTEGER - 1);
    expect((await accounts.show('alice')).credits).toBe(Number.MAX_SAFE_INTEGER - 1);
  });

  it('lists every problem of a bad body at once', async () => {
    const body = await problem(await call('PUT', '/v1/accounts/alice/status', { body: { status: 1, paidThrough: 'tomorrow', extra: true } }), 400, 'bad-request');
    expect(body.errors).toEqual([
      'unknown member "extra" (allowed: status, paidThrough, periodAnchor)',
      'status must be a string',
      'paidThrough must be an ISO 8601 instant (e.g. 2026-01-31T00:00:00Z) or null',
    ]);
  });

  it.each([
    ['an unknown status', 'PUT', '/v1/accounts/alice/status', { status: 'gold' }, /unknown status "gold"/],
    ['an empty plan', 'PUT', '/v1/accounts/alice/plan', { plan: '' }, /plan must be a plan name/],
    ['a zero amount', 'POST', '/v1/accounts/alice/credits/grant', { amount: 0 }, /positive integer/],
    ['a fractional amount', 'POST', '/v1/accounts/alice/credits/grant', { amount: 1.5 }, /positive integer/],
    ['an expiry that is no RFC 3339 instant', 'POST', '/v1/accounts/alice/credits/grant', { amount: 1, expiresAt: '2026-02-01' }, /expiresAt must be an RFC 3339 instant/],
    ['an expiry in epoch ms', 'POST', '/v1/accounts/alice/credits/grant', { amount: 1, expiresAt: Date.UTC(2026, 1, 1) }, /expiresAt must be an RFC 3339 instant/],
    ['an expiry already past', 'POST', '/v1/accounts/alice/credits/grant', { amount: 1, expiresAt: '2026-01-14T00:00:00Z' }, /expiresAt must be an instant after now/],
    ['an expiring debit', 'POST', '/v1/accounts/alice/credits/debit', { amount: 1, expiresAt: '2026-02-01T00:00:00Z' }, /expiresAt is for grants only/],
    ['a grant naming a debit', 'POST', '/v1/accounts/alice/credits/grant', { amount: 1, debit: 'd' }, /debit is for refunds only/],
    ['a refund naming a debit by no key', 'POST', '/v1/accounts/alice/credits/refund', { amount: 1, debit: 7 }, /debit must be the Idempotency-Key/],
    ['an array body', 'PUT', '/v1/accounts/alice/plan', ['pro'], /JSON object/],
  ])('answers 400 for %s', async (_, method, path, body, detail) => {
    const response = await call(method, path, { body, headers: { 'idempotency-key': '"k"' } });
    expect((await problem(response, 400, 'bad-request')).detail).toMatch(detail);
    expect(await accounts.show('alice')).toEqual({ credits: 0 });
  });

  it('answers 400 for a body that is not JSON', async () => {
    await problem(await call('PUT', '/v1/accounts/alice/plan', { raw: '{"plan":', headers: { 'content-type': 'application/json' } }), 400, 'bad-request');
  });

  it('answers 415 for a body that is not declared JSON', async () => {
    await problem(await call('PUT', '/v1/accounts/alice/plan', { raw: 'plan=pro', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported-media-type');
  });

  it('answers 413 for a body over the limit, declared or streamed', async () => {
    await problem(await call('PUT', '/v1/accounts/alice/plan', { body: { plan: 'p'.repeat(300) } }), 413, 'request-too-large');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"plan":"${'p'.repeat(400)}"}`));
        controller.close();
      },
    });
    const streamed = await fetch(`${server.url}/v1/accounts/alice/plan`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    });
    await problem(streamed, 413, 'request-too-large');
    expect(await accounts.show('alice')).toEqual({ credits: 0 });
  });

  it('answers 404 for unknown resources and 405 with Allow for wrong methods', async () => {
    await problem(await call('GET', '/v1/accounts/'), 404, 'not-found');
    await problem(await call('POST', '/v1/accounts/alice/credits/steal', { body: { amount: 1 } }), 404, 'not-found');
    const response = await call('DELETE', '/v1/accounts/alice');
    await problem(response, 405, 'method-not-allowed');
    expect(response.headers.get('allow')).toBe('GET');
  });

  it('answers 400 for an account path that is not valid percent-encoding', async () => {
    await problem(await call('GET', '/v1/accounts/%E0%A4%A'), 400, 'bad-request');
  });
});

describe('admin API: store failures', () => {
  it('answers 503 store-unavailable when the store does not answer in time', async () => {
    const hanging = new Promise<never>(() => undefined);
    const stuck: Accounts = { show: () => hanging, setPlan: () => hanging, setStatus: () => hanging, changeCredits: () => hanging };
    const logged: unknown[] = [];
    server = await listen(createAdminServer({ accounts: stuck, token: TOKEN, timeoutMs: 50, log: (entry) => logged.push(entry) }));
    const response = await call('GET', '/v1/accounts/alice');
    expect(response.status).toBe(503);
    expect(await json(response)).toMatchObject({ type: 'https://tollgate.dev/problems/server/store-unavailable' });
    expect(logged).toEqual([expect.objectContaining({ level: 'error', account: 'alice' })]);
  });

  it('answers 503 when the store fails', async () => {
    const broken: Accounts = {
      show: () => Promise.reject(new Error('ECONNREFUSED')),
      setPlan: () => Promise.reject(new Error('ECONNREFUSED')),
      setStatus: () => Promise.reject(new Error('ECONNREFUSED')),
      changeCredits: () => Promise.reject(new Error('ECONNREFUSED')),
    };
    server = await listen(createAdminServer({ accounts: broken, token: TOKEN }));
    expect((await call('PUT', '/v1/accounts/alice/plan', { body: { plan: 'pro' } })).status).toBe(503);
  });
});

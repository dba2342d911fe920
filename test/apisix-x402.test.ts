// x402 and chargeOn success through the real runner process and the APISIX-side harness, with the
// local facilitator process: the payment is verified in the request call (ext-plugin-pre-req) and
// settled in the response call (ext-plugin-post-resp, RPC_HTTP_RESP_CALL) only when the upstream
// answered < 400; PAYMENT-RESPONSE is added next to the upstream's own headers, or a 402 replaces
// the answer when settlement fails. Both calls find each other through APISIX's $request_id.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApisixSide, type ApisixResponse, type ClientRequest } from './support/apisix-side/index.js';
import { ANONYMOUS_CONSUMER } from '../packages/compiler/src/index.js';
import type { EngineConfig } from '../packages/engine/src/index.js';
import { tollgateRoute } from './support/apisix-configs.js';
import { removeRunnerBundle, startRunner, type RunnerProcess } from './support/apisix-runner.js';
import { freePort } from './support/redis.js';
import { paymentHeader, paymentPayloadV1, paymentPayloadV2, testPayer, testRequirements } from './support/x402-client.js';
import { removeFacilitatorBundle, startFacilitatorProcess, type FacilitatorProcess } from './support/x402-facilitator-process.js';
import { nonceOf, oneRequestOnSuccess, x402Policy } from './support/x402-policy.js';

const HOST = 'api.example.com';
const RESOURCE = `http://${HOST}/v1/forecast`;
const payer = testPayer();
const requirements = testRequirements();
const encoder = new TextEncoder();

let facilitator: FacilitatorProcess;
let runner: RunnerProcess;
let side: ApisixSide;
let dir: string;
let metricsPort: number;
let config: EngineConfig;
let requestCounter = 0;

beforeAll(async () => {
  facilitator = await startFacilitatorProcess();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-apisix-x402-'));
  metricsPort = await freePort();
  runner = await startRunner({ socketPath: join(dir, 'runner.sock'), env: { TOLLGATE_METRICS_PORT: String(metricsPort), TOLLGATE_DECISION_LOG: join(dir, 'decisions.jsonl') } });
  side = new ApisixSide({ socketPath: join(dir, 'runner.sock'), readTimeoutMs: 5000 });
  config = x402Policy(facilitator.url, { policy: 'apisix-paid' });
});
afterAll(async () => {
  side.close();
  await runner.stop();
  await facilitator.stop();
  removeFacilitatorBundle();
  removeRunnerBundle();
  rmSync(dir, { recursive: true, force: true });
});

interface Upstream {
  readonly status: number;
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string;
  /** Runs while "the upstream works" (between the two calls). */
  readonly during?: () => Promise<void>;
}

/**
 * One request through pre-req, the upstream and post-resp, with its own $request_id. Without a
 * consumer it is a caller without a key, whom key-auth's anonymous_consumer names the anonymous consumer.
 */
async function send(route: ReturnType<typeof tollgateRoute>, client: Omit<ClientRequest, 'vars'>, upstream: Upstream = { status: 200 }, consumer = ANONYMOUS_CONSUMER) {
  requestCounter += 1;
  const request: ClientRequest = { ...client, vars: { request_id: `req-${String(requestCounter)}`, scheme: 'http', consumer_name: consumer } };
  const outcome = await side.request(route, request);
  if (outcome.kind !== 'proxied') return { outcome, response: undefined };
  await upstream.during?.();
  const response: ApisixResponse = await side.respond(route, request, {
    status: upstream.status,
    headers: upstream.headers ?? [['Content-Type', 'application/json']],
    body: encoder.encode(upstream.body ?? '{"forecast":"sunny"}'),
  });
  return { outcome, response };
}

async function paid(version: 1 | 2 = 2) {
  return paymentHeader(version === 2 ? await paymentPayloadV2(payer, requirements, RESOURCE) : await paymentPayloadV1(payer, requirements));
}

function client(header?: { name: string; value: string }): Omit<ClientRequest, 'vars'> {
  return { method: 'GET', uri: '/v1/forecast', headers: [['host', HOST], ...(header === undefined ? [] : [[header.name, header.value] as const])] };
}

function answered(response: ApisixResponse | undefined) {
  if (response?.kind !== 'answered') throw new Error(`expected an answer after post-resp, got ${JSON.stringify(response)}`);
  return response;
}

const settled = async (header: { value: string }) => (await facilitator.settlements()).some((s) => s.nonce === nonceOf(header));

describe('x402 through the APISIX runner', () => {
  it('challenges a caller without a payment (Stop 402)', async () => {
    const { outcome } = await send(tollgateRoute('paid', config), client());
    expect(outcome).toMatchObject({ kind: 'stopped', status: 402 });
    if (outcome.kind !== 'stopped') return;
    expect(decodePaymentRequiredHeader(outcome.headers.get('payment-required')?.[0] ?? '')).toMatchObject({ accepts: [{ amount: '10000' }] });
  });

  it('verifies in the request call, settles in the response call and adds PAYMENT-RESPONSE to the upstream headers', async () => {
    const header = await paid();
    const { outcome, response } = await send(tollgateRoute('paid', config), client(header));
    expect(outcome.kind).toBe('proxied');
    if (outcome.kind === 'proxied') expect(outcome.upstream.headers.get('payment-signature')).toBeUndefined();
    const final = answered(response);
    expect(final.status).toBe(200);
    expect(final.headers.get('content-type')).toEqual(['application/json']);
    expect(new TextDecoder().decode(final.body)).toBe('{"forecast":"sunny"}');
    expect(decodePaymentResponseHeader(final.headers.get('payment-response')?.[0] ?? '')).toMatchObject({ success: true, payer: payer.address });
    expect(final.extraInfo).toEqual([{ kind: 'var', name: 'request_id' }]);
    expect(await settled(header)).toBe(true);
    expect((await send(tollgateRoute('paid', config), client(header))).outcome).toMatchObject({ kind: 'stopped', status: 402 });
  });

  it('answers a v1 payer with X-PAYMENT-RESPONSE too', async () => {
    const final = answered((await send(tollgateRoute('paid', config), client(await paid(1)))).response);
    expect(decodePaymentResponseHeader(final.headers.get('x-payment-response')?.[0] ?? '')).toMatchObject({ success: true, network: 'base-sepolia' });
  });

  it('leaves a failed upstream answer untouched and does not settle', async () => {
    const header = await paid();
    const final = answered((await send(tollgateRoute('paid', config), client(header), { status: 503, body: 'down' })).response);
    expect(final.status).toBe(503);
    expect(new TextDecoder().decode(final.body)).toBe('down');
    expect(final.headers.get('payment-response')).toBeUndefined();
    expect(await settled(header)).toBe(false);
  });

  it('replaces the answer with a 402 and PAYMENT-RESPONSE when settlement fails', async () => {
    const header = await paid();
    const payload = JSON.parse(Buffer.from(header.value, 'base64').toString('utf8')) as unknown;
    const spendElsewhere = async () => {
      await fetch(`${facilitator.url}/settle`, { method: 'POST', body: JSON.stringify({ x402Version: 2, paymentPayload: payload, paymentRequirements: requirements }) });
    };
    const final = answered((await send(tollgateRoute('paid', config), client(header), { status: 200, body: 'the paid content', during: spendElsewhere })).response);
    expect(final.status).toBe(402);
    expect(new TextDecoder().decode(final.body)).not.toContain('the paid content');
    expect(final.headers.get('content-type')).toEqual(['application/problem+json']);
    expect(decodePaymentResponseHeader(final.headers.get('payment-response')?.[0] ?? '')).toMatchObject({ success: false, errorReason: 'invalid_transaction_state' });
  });
});

describe('chargeOn success through the APISIX runner', () => {
  it('gives the held quota back after an upstream 5xx and keeps it after a 200', async () => {
    const oneRequest = oneRequestOnSuccess(config, 'apisix-success');
    const route = tollgateRoute('success', oneRequest);
    expect(answered((await send(route, client(), { status: 502 }, 'erin')).response).status).toBe(502);
    expect(answered((await send(route, client(), { status: 200 }, 'erin')).response).status).toBe(200);
    expect((await send(route, client(), { status: 200 }, 'erin')).outcome).toMatchObject({ kind: 'stopped', status: 402 });
  });
});

describe('operations of the runner process', () => {
  it('serves /healthz and /metrics and writes the decision log', async () => {
    expect((await fetch(`http://127.0.0.1:${String(metricsPort)}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`)).text();
    expect(metrics).toMatch(/tollgate_decisions_total\{policy="apisix-paid",decision="deny",reason="payment-required",status="402"\} [1-9]/);
    expect(metrics).toMatch(/tollgate_payments_total\{policy="apisix-paid",event="settled"\} [1-9]/);
    expect(metrics).toMatch(/tollgate_payments_total\{policy="apisix-paid",event="settle-failed"\} 1\b/);
    expect(metrics).toMatch(/tollgate_store_duration_seconds_count\{store="memory",operation="complete-hold"\} 2\b/);
    const lines = readFileSync(join(dir, 'decisions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ event: 'decision', policy: 'apisix-success', consumer: 'erin', reason: 'quota-exhausted' }));
    expect(lines).toContainEqual(expect.objectContaining({ event: 'payment-settled', upstreamStatus: 200 }));
    expect(runner.output()).not.toMatch(/unhandled|TypeError/);
  });
});

describe('the response APISIX sends after ext-plugin-post-resp', () => {
  // As lua-resty-http hands them to post-resp: hop-by-hop headers included.
  const upstreamHeaders = [
    ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked'], ['Connection', 'keep-alive, X-Hop'], ['Keep-Alive', 'timeout=5'],
    ['X-Hop', 'only to the next hop'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['X-Upstream', 'yes'],
  ] as const;
  const endToEnd = { 'content-type': ['application/json'], 'set-cookie': ['a=1', 'b=2'], 'x-upstream': ['yes'] };
  // nginx's own framing, once: the body is streamed without Content-Length.
  const framing = { 'transfer-encoding': ['chunked'], connection: ['keep-alive'] };
  const headersOf = (response: ApisixResponse | undefined) => Object.fromEntries(answered(response).headers);

  it('carries exactly the upstream end-to-end headers plus PAYMENT-RESPONSE after a settlement', async () => {
    const final = headersOf((await send(tollgateRoute('paid', config), client(await paid()), { status: 200, headers: upstreamHeaders })).response);
    expect(Object.keys(final).sort()).toEqual([...Object.keys(endToEnd), ...Object.keys(framing), 'payment-response'].sort());
    expect(final).toMatchObject({ ...endToEnd, ...framing });
  });

  it('carries exactly the upstream end-to-end headers when Tollgate adds nothing (nothing settled, a hold committed)', async () => {
    const notSettled = (await send(tollgateRoute('paid', config), client(await paid()), { status: 503, headers: upstreamHeaders })).response;
    expect(headersOf(notSettled)).toEqual({ ...endToEnd, ...framing });
    const committed = (await send(tollgateRoute('success', oneRequestOnSuccess(config, 'apisix-headers')), client(), { status: 200, headers: upstreamHeaders }, 'frank')).response;
    expect(headersOf(committed)).toEqual({ ...endToEnd, ...framing });
  });
});

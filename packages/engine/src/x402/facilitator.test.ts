// The facilitator client against a real HTTP server that answers what each test sets: which
// answers are the payer's fault (`invalid`, the facilitator's reason), which are not
// (`unavailable`, or a settlement failed for an unexpected reason), and who gets the operator's headers.
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedJsonServer } from '../../../../test/support/scripted-http.js';
import { parseFacilitatorHeaders } from './facilitator-headers.js';
import { createFacilitator } from './facilitator.js';
import type { RequirementsV2 } from './offer.js';

const PAYER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const REQUIREMENTS: RequirementsV2 = { scheme: 'exact', network: 'eip155:84532', amount: '10000', asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', payTo: PAYER, maxTimeoutSeconds: 60 };
const PAYLOAD = { x402Version: 2, accepted: REQUIREMENTS, payload: {} };
const TIMEOUTS = { verifyMs: 2000, settleMs: 2000 };
/** A verdict in the body of an error status: the payer's fault only when the status says so. */
const VERIFY_VERDICT = { isValid: false, invalidReason: 'insufficient_funds', payer: PAYER };
const SETTLE_VERDICT = { success: false, errorReason: 'insufficient_funds', payer: PAYER, transaction: '', network: REQUIREMENTS.network };
const NO_VERDICT = { error: 'unauthorized', message: 'missing or wrong X-Api-Key' };

let server: ScriptedJsonServer;
let url: string;
let answer: { status: number; body: unknown };
let received: IncomingHttpHeaders[];

beforeAll(async () => {
  server = await ScriptedJsonServer.start((request) => {
    received.push(request.headers);
    return answer;
  });
  url = server.url;
});
afterAll(() => server.close());
beforeEach(() => {
  received = [];
});

describe('what a facilitator answer means for the payment', () => {
  it("reads a 4xx verdict as the payer's (its reason, its payer)", async () => {
    answer = { status: 400, body: VERIFY_VERDICT };
    expect(await createFacilitator(url, TIMEOUTS).verify(PAYLOAD, REQUIREMENTS)).toEqual({ kind: 'invalid', reason: 'insufficient_funds', payer: PAYER });
  });

  // 401/403: the operator's credentials refused; 429: the operator's account throttled.
  it.each([
    [401, VERIFY_VERDICT, 'answered 401: insufficient_funds'],
    [403, VERIFY_VERDICT, 'answered 403: insufficient_funds'],
    [429, VERIFY_VERDICT, 'answered 429: insufficient_funds'],
    [401, NO_VERDICT, `Facilitator verify failed (401): ${JSON.stringify(NO_VERDICT)}`],
  ])('is unavailable after a %i, whatever its body says (%j)', async (status, body, error) => {
    answer = { status, body };
    expect(await createFacilitator(url, TIMEOUTS).verify(PAYLOAD, REQUIREMENTS)).toEqual({ kind: 'unavailable', error: `facilitator ${url}/verify: ${error}` });
  });

  it("keeps a settlement's reason from a 4xx verdict", async () => {
    answer = { status: 400, body: SETTLE_VERDICT };
    const settlement = await createFacilitator(url, TIMEOUTS).settle(PAYLOAD, REQUIREMENTS);
    expect(settlement).toMatchObject({ kind: 'failed', response: { success: false, errorReason: 'insufficient_funds', payer: PAYER } });
  });

  it.each([401, 403, 429])('fails a settlement after a %i for an unexpected reason, not the reason in its body', async (status) => {
    answer = { status, body: SETTLE_VERDICT };
    const settlement = await createFacilitator(url, TIMEOUTS).settle(PAYLOAD, REQUIREMENTS);
    expect(settlement).toEqual({
      kind: 'failed',
      response: { success: false, errorReason: 'unexpected_settle_error', transaction: '', network: REQUIREMENTS.network },
      error: `facilitator ${url}/settle: answered ${String(status)}: insufficient_funds`,
    });
  });
});

describe("who gets the operator's headers", () => {
  function headersFor(key: string) {
    const parsed = parseFacilitatorHeaders('TEST', JSON.stringify({ [key]: { 'X-Api-Key': 'k' } }));
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    return parsed.headers;
  }

  it.each([
    ['the URL of their key', '/v2', '/v2'],
    ['the URL of their key, with a trailing slash', '/v2', '/v2/'],
  ])('%s gets them on every call', async (_, key, offered) => {
    answer = { status: 200, body: { isValid: true, payer: PAYER } };
    const facilitator = createFacilitator(`${url}${offered}`, TIMEOUTS, { headers: headersFor(`${url}${key}`) });
    await facilitator.verify(PAYLOAD, REQUIREMENTS);
    answer = { status: 200, body: { success: true, payer: PAYER, transaction: '0x1', network: REQUIREMENTS.network } };
    await facilitator.settle(PAYLOAD, REQUIREMENTS);
    expect(received.map((headers) => headers['x-api-key'])).toEqual(['k', 'k']);
  });

  it.each([
    ['a path under their key', '/v2', '/v2/r'],
    ['a query on their key', '/v2', '/v2?to=/elsewhere'],
    ['their key’s origin alone', '/v2', ''],
  ])('%s does not get them', async (_, key, offered) => {
    answer = { status: 200, body: { isValid: true, payer: PAYER } };
    await createFacilitator(`${url}${offered}`, TIMEOUTS, { headers: headersFor(`${url}${key}`) }).verify(PAYLOAD, REQUIREMENTS);
    expect(received).toHaveLength(1);
    expect(received[0]?.['x-api-key']).toBeUndefined();
  });
});

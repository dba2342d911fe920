// CDP's per-call JWT: what the environment must give, the token's header and claims as CDP's API
// key authentication documents them (checked with jose against the public key), one fresh token
// per call bound to its method, host and path, and only for the facilitator URL the key is for.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedJsonServer } from '../../../../test/support/scripted-http.js';
import { CDP_ENV, CDP_FACILITATOR_URL, cdpAuthorization, parseCdpAuth, type CdpAuth } from './cdp-auth.js';
import { NO_FACILITATOR_HEADERS } from './facilitator-headers.js';
import { createFacilitator } from './facilitator.js';
import type { RequirementsV2 } from './offer.js';

const KEY_ID = 'organizations/0000/apiKeys/1111';

function ed25519Key(): { secret: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { secret: Buffer.concat([Buffer.from(jwk.d ?? '', 'base64url'), Buffer.from(jwk.x ?? '', 'base64url')]).toString('base64'), publicKey };
}

function ecKey(): { secret: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { secret: privateKey.export({ format: 'pem', type: 'sec1' }).toString(), publicKey };
}

function authFor(secret: string, url?: string): CdpAuth {
  const parsed = parseCdpAuth({ [CDP_ENV.keyId]: KEY_ID, [CDP_ENV.keySecret]: secret, ...(url === undefined ? {} : { [CDP_ENV.facilitatorUrl]: url }) });
  if (!parsed.ok || parsed.auth === undefined) throw new Error(`no auth: ${JSON.stringify(parsed)}`);
  return parsed.auth;
}

describe('parseCdpAuth', () => {
  it('is off without the key, and names what is missing or wrong without repeating the secret', () => {
    expect(parseCdpAuth({})).toEqual({ ok: true, auth: undefined });
    expect(parseCdpAuth({ [CDP_ENV.keyId]: KEY_ID })).toEqual({ ok: false, problems: [`${CDP_ENV.keySecret}: required with ${CDP_ENV.keyId}`] });
    expect(parseCdpAuth({ [CDP_ENV.keySecret]: ed25519Key().secret })).toEqual({ ok: false, problems: [`${CDP_ENV.keyId}: required with ${CDP_ENV.keySecret}`] });
    expect(parseCdpAuth({ [CDP_ENV.facilitatorUrl]: CDP_FACILITATOR_URL })).toMatchObject({ ok: false });
    const wrong = parseCdpAuth({ [CDP_ENV.keyId]: KEY_ID, [CDP_ENV.keySecret]: 'c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0' });
    expect(wrong).toEqual({ ok: false, problems: [expect.stringContaining('neither a PEM EC private key nor a base64 Ed25519 key')] });
    expect(JSON.stringify(wrong)).not.toContain('c2VjcmV0');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(parseCdpAuth({ [CDP_ENV.keyId]: KEY_ID, [CDP_ENV.keySecret]: rsa })).toMatchObject({ ok: false });
    expect(parseCdpAuth({ [CDP_ENV.keyId]: KEY_ID, [CDP_ENV.keySecret]: ed25519Key().secret, [CDP_ENV.facilitatorUrl]: 'https://x402.example/f?k=1' })).toMatchObject({ ok: false, problems: [expect.stringContaining('has a query')] });
  });

  it("defaults to CDP's facilitator URL, and takes another written as new URL() writes it", () => {
    expect(authFor(ed25519Key().secret)).toMatchObject({ url: CDP_FACILITATOR_URL, keyId: KEY_ID, algorithm: 'EdDSA' });
    expect(authFor(ecKey().secret, 'http://127.0.0.1:4021/x402/')).toMatchObject({ url: 'http://127.0.0.1:4021/x402', algorithm: 'ES256' });
  });
});

describe('cdpAuthorization', () => {
  it.each([
    ['Ed25519', ed25519Key, 'EdDSA'],
    ['EC P-256', ecKey, 'ES256'],
  ])('signs a %s token with the documented header and claims, for one method, host and path', async (_, make, algorithm) => {
    const { secret, publicKey } = make();
    const header = await cdpAuthorization(authFor(secret), 'POST', `${CDP_FACILITATOR_URL}/verify`);
    const token = header.replace(/^Bearer /, '');
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, { issuer: 'cdp', audience: 'cdp_service', subject: KEY_ID });
    expect(protectedHeader).toMatchObject({ alg: algorithm, kid: KEY_ID, typ: 'JWT', nonce: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(payload.uris).toEqual(['POST api.cdp.coinbase.com/platform/v2/x402/verify']);
    expect(payload.exp).toBe((payload.nbf ?? 0) + 120);
  });

  it('makes a new token (new nonce) for every call', async () => {
    const auth = authFor(ed25519Key().secret);
    const [a, b] = await Promise.all([cdpAuthorization(auth, 'GET', `${CDP_FACILITATOR_URL}/supported`), cdpAuthorization(auth, 'GET', `${CDP_FACILITATOR_URL}/supported`)]);
    expect(decodeProtectedHeader(a.slice(7)).nonce).not.toBe(decodeProtectedHeader(b.slice(7)).nonce);
  });
});

describe('the facilitator client with a CDP key', () => {
  const REQUIREMENTS: RequirementsV2 = { scheme: 'exact', network: 'eip155:84532', amount: '1', asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e', payTo: '0x3333333333333333333333333333333333333333', maxTimeoutSeconds: 60 };
  const { secret, publicKey } = ed25519Key();
  let server: ScriptedJsonServer;
  let base: string;
  let received: { path: string; headers: IncomingHttpHeaders }[];

  beforeAll(async () => {
    server = await ScriptedJsonServer.start(({ path, headers }) => {
      received.push({ path, headers });
      const answers: Record<string, unknown> = {
        '/x402/verify': { isValid: true },
        '/x402/settle': { success: true, transaction: '0x01', network: 'eip155:84532' },
        '/x402/supported': { kinds: [], extensions: [], signers: {} },
      };
      return { status: 200, body: answers[path] ?? {} };
    });
    base = server.url;
  });
  afterAll(() => server.close());
  beforeEach(() => {
    received = [];
  });

  it("sends each call a token for that call, replacing a static Authorization, next to the operator's other headers", async () => {
    const url = `${base}/x402`;
    const headers = new Map([[url, { authorization: 'Bearer static', 'X-Team': 'payments' }]]);
    const facilitator = createFacilitator(url, { verifyMs: 2000, settleMs: 2000 }, { headers, cdp: authFor(secret, url) });
    await facilitator.verify({ x402Version: 2, accepted: REQUIREMENTS, payload: {} }, REQUIREMENTS);
    await facilitator.settle({ x402Version: 2, accepted: REQUIREMENTS, payload: {} }, REQUIREMENTS);
    await facilitator.supported();
    const host = new URL(base).host;
    const seen = await Promise.all(
      received.map(async ({ path, headers: h }) => {
        const { payload } = await jwtVerify((h.authorization ?? '').replace(/^Bearer /, ''), publicKey);
        return { path, uris: payload.uris, team: h['x-team'] };
      }),
    );
    expect(seen).toEqual([
      { path: '/x402/verify', uris: [`POST ${host}/x402/verify`], team: 'payments' },
      { path: '/x402/settle', uris: [`POST ${host}/x402/settle`], team: 'payments' },
      { path: '/x402/supported', uris: [`GET ${host}/x402/supported`], team: 'payments' },
    ]);
  });

  it("signs nothing for an offer naming another URL than the key's", async () => {
    const facilitator = createFacilitator(`${base}/x402`, { verifyMs: 2000, settleMs: 2000 }, { headers: NO_FACILITATOR_HEADERS, cdp: authFor(secret, `${base}/other`) });
    await facilitator.verify({ x402Version: 2, accepted: REQUIREMENTS, payload: {} }, REQUIREMENTS);
    expect(received.map((r) => r.headers.authorization)).toEqual([undefined]);
  });
});

// Coinbase CDP's facilitator wants a freshly signed JWT on every call (Authorization: Bearer …),
// as its API key authentication documents and its SDK (@coinbase/cdp-sdk auth/utils/jwt.ts) does:
// header {alg: EdDSA for an Ed25519 key (base64 of 64 bytes: seed then public key) or ES256 for a
// PEM EC key, kid: the key id, typ: JWT, nonce: 16 random bytes in hex}; claims {sub: the key id,
// iss: "cdp", aud: ["cdp_service"], uris: ["<METHOD> <host><path>"], iat = nbf = now, exp = now +
// 120 s}. The `uris` claim binds each token to the one call it is made for.
//
// The key comes from the environment and is used only for the facilitator URL the operator names
// (default CDP's), compared as TOLLGATE_X402_FACILITATOR_HEADERS keys are: a policy that names
// another URL never gets a token. Problems never repeat the secret.
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { facilitatorBase, parseFacilitatorHeaders } from './facilitator-headers.js';

export const CDP_ENV = {
  keyId: 'TOLLGATE_X402_CDP_API_KEY_ID',
  keySecret: 'TOLLGATE_X402_CDP_API_KEY_SECRET',
  facilitatorUrl: 'TOLLGATE_X402_CDP_FACILITATOR_URL',
} as const;
/** Where CDP's x402 facilitator lives (docs.cdp.coinbase.com, CDP_FACILITATOR_URL). */
export const CDP_FACILITATOR_URL = 'https://api.cdp.coinbase.com/platform/v2/x402';
const TOKEN_SECONDS = 120;
const ED25519_KEY_BYTES = 64;

/** The signing key for one facilitator URL. */
export interface CdpAuth {
  /** facilitatorBase of the URL the tokens are for. */
  readonly url: string;
  readonly keyId: string;
  readonly key: KeyObject;
  readonly algorithm: 'EdDSA' | 'ES256';
}

export type CdpAuthParse = { readonly ok: true; readonly auth: CdpAuth | undefined } | { readonly ok: false; readonly problems: readonly string[] };

/** Neither variable set: no CDP auth. One without the other, or a key that does not read: problems. */
export function parseCdpAuth(env: Readonly<Record<string, string | undefined>>): CdpAuthParse {
  const keyId = env[CDP_ENV.keyId] ?? '';
  const secret = env[CDP_ENV.keySecret] ?? '';
  const url = env[CDP_ENV.facilitatorUrl] ?? '';
  if (keyId === '' && secret === '') {
    return url === '' ? { ok: true, auth: undefined } : { ok: false, problems: [`${CDP_ENV.facilitatorUrl}: set without ${CDP_ENV.keyId} and ${CDP_ENV.keySecret}`] };
  }
  const problems: string[] = [];
  if (keyId === '') problems.push(`${CDP_ENV.keyId}: required with ${CDP_ENV.keySecret}`);
  const key = secret === '' ? undefined : signingKey(secret);
  if (secret === '') problems.push(`${CDP_ENV.keySecret}: required with ${CDP_ENV.keyId}`);
  else if (key === undefined) problems.push(`${CDP_ENV.keySecret}: neither a PEM EC private key nor a base64 Ed25519 key (64 bytes), as CDP issues them`);
  // The same rules as a facilitator-headers key: no query, fragment or user info, written as new URL() writes it.
  const checked = parseFacilitatorHeaders(CDP_ENV.facilitatorUrl, JSON.stringify({ [url === '' ? CDP_FACILITATOR_URL : url]: {} }));
  if (!checked.ok) problems.push(...checked.problems);
  if (problems.length > 0 || key === undefined || !checked.ok) return { ok: false, problems };
  return { ok: true, auth: { url: facilitatorBase(url === '' ? CDP_FACILITATOR_URL : url), keyId, ...key } };
}

/** The Authorization header for one call to `url` with `method`: a token made now, for it alone. */
export async function cdpAuthorization(auth: CdpAuth, method: 'GET' | 'POST', url: string): Promise<string> {
  const { host, pathname } = new URL(url);
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sub: auth.keyId, iss: 'cdp', aud: ['cdp_service'], uris: [`${method} ${host}${pathname}`] })
    .setProtectedHeader({ alg: auth.algorithm, kid: auth.keyId, typ: 'JWT', nonce: randomBytes(16).toString('hex') })
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + TOKEN_SECONDS)
    .sign(auth.key);
  return `Bearer ${token}`;
}

function signingKey(secret: string): Pick<CdpAuth, 'key' | 'algorithm'> | undefined {
  if (secret.includes('-----BEGIN')) {
    try {
      const key = createPrivateKey(secret);
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return key.asymmetricKeyType === 'ec' && curve === 'prime256v1' ? { key, algorithm: 'ES256' } : undefined;
    } catch {
      return undefined;
    }
  }
  const bytes = Buffer.from(secret, 'base64');
  if (bytes.length !== ED25519_KEY_BYTES || bytes.toString('base64') !== secret.trim()) return undefined;
  try {
    const jwk = { kty: 'OKP', crv: 'Ed25519', d: bytes.subarray(0, 32).toString('base64url'), x: bytes.subarray(32).toString('base64url') };
    return { key: createPrivateKey({ key: jwk, format: 'jwk' }), algorithm: 'EdDSA' };
  } catch {
    return undefined;
  }
}

// Bearer-token check (RFC 6750) in constant time: both sides are hashed first so neither the
// comparison nor an early length mismatch tells an attacker how much of a guess was right.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Tokens shorter than this are refused at start-up: they can be guessed. */
export const MIN_TOKEN_LENGTH = 16;

export type BearerCheck = (authorization: string | undefined) => boolean;

export function bearerCheck(token: string): BearerCheck {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization ?? '');
    const presented = match?.[1];
    // Hash even when absent so every request costs the same.
    return timingSafeEqual(digest(presented ?? ''), expected) && presented !== undefined;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

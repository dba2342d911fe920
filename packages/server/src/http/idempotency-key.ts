// The Idempotency-Key request header (draft-ietf-httpapi-idempotency-key-header): an RFC 9651
// sf-string such as "8e03978e-…". Bare keys (as Stripe's API takes them) are accepted too, since
// many clients send them unquoted; either way the key is 1–200 visible ASCII characters.
import { parseItem } from 'structured-headers';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

export type KeyParse =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly detail: string };

export function parseIdempotencyKey(header: string | string[] | undefined): KeyParse {
  if (header === undefined) return { kind: 'missing' };
  if (Array.isArray(header)) return { kind: 'invalid', detail: 'send exactly one Idempotency-Key header' };
  const raw = header.trim();
  let key = raw;
  if (raw.startsWith('"')) {
    try {
      const item = parseItem(raw);
      const value: unknown = item[0];
      if (typeof value !== 'string' || item[1].size > 0) return invalid();
      key = value;
    } catch {
      return invalid();
    }
  }
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) return invalid();
  return { kind: 'key', key };
}

function invalid(): KeyParse {
  return { kind: 'invalid', detail: `Idempotency-Key must be a quoted string (RFC 9651) of 1–${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters` };
}

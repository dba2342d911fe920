// What a step expects against what came back: every difference, each with the path of the
// expectation it breaks, so `tollgate test` can point at that line of the scenario file.
import type { ObservedResponse } from './observe.js';

/** Expected response: exact status and reason; headers by name (case-insensitive), `null` = absent; body members (subset, deep). */
export interface ExpectedResponse {
  readonly status?: number;
  /** The denial's reason code; an allowed request has none. */
  readonly reason?: string;
  readonly headers?: Readonly<Record<string, string | null>>;
  /** Members of a JSON object body; a list (an MCP route's batch answer): one expectation per element, objects compared as subsets. */
  readonly body?: Readonly<Record<string, unknown>> | readonly unknown[];
  /** The x402 v2 challenge decoded from PAYMENT-REQUIRED (subset, deep). */
  readonly paymentRequired?: Readonly<Record<string, unknown>>;
  /** What the upstream must receive: headers set (null = removed) and query arguments (null = removed), path. */
  readonly upstream?: { readonly headers?: Readonly<Record<string, string | null>>; readonly query?: Readonly<Record<string, string | null>>; readonly path?: string };
  /** Account operations: the result kind and balance. */
  readonly result?: string;
  readonly balance?: number;
}

/** One broken expectation: where it is written (relative to the step's `expect`, or `state`) and how it differs. */
export interface Mismatch {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export function compareResponse(expect: ExpectedResponse, observed: ObservedResponse): Mismatch[] {
  const found: Mismatch[] = [];
  if (expect.status !== undefined && expect.status !== observed.status) found.push({ path: ['status'], message: `status ${observed.status}, expected ${expect.status}` });
  if (expect.reason !== undefined && expect.reason !== observed.reason) {
    found.push({ path: ['reason'], message: `reason ${observed.reason ?? `none (allowed, ${observed.status})`}, expected ${expect.reason}` });
  }
  const headers = lowerKeys(observed.headers);
  found.push(...exactValues(['headers'], 'header', expect.headers, headers, (name) => name.toLowerCase()));
  if (expect.body !== undefined) found.push(...bodyMismatches(expect.body, parseJson(observed.body)));
  if (expect.paymentRequired !== undefined) {
    const header = headers['payment-required'];
    const decoded = header === undefined ? undefined : parseJson(Buffer.from(header, 'base64').toString('utf8'));
    found.push(...subsetMismatches(['paymentRequired'], expect.paymentRequired, decoded));
  }
  if (expect.upstream !== undefined) {
    const up = observed.upstream;
    if (up === undefined) return [...found, { path: ['upstream'], message: `the request was not proxied (${observed.status})` }];
    found.push(...exactValues(['upstream', 'headers'], 'upstream header', expect.upstream.headers, lowerKeys(up.headers), (name) => name.toLowerCase()));
    found.push(...exactValues(['upstream', 'query'], 'upstream query', expect.upstream.query, up.query, (name) => name));
    if (expect.upstream.path !== undefined && expect.upstream.path !== up.path) found.push({ path: ['upstream', 'path'], message: `upstream path ${up.path}, expected ${expect.upstream.path}` });
  }
  return found;
}

/** `expected` members must be present in `actual` with equal values (objects compared as subsets, arrays exactly, `null` = absent). */
/** A body list (an MCP batch answer): as many elements as expected, each compared as its expectation says. */
function bodyMismatches(expected: NonNullable<ExpectedResponse['body']>, actual: unknown): Mismatch[] {
  if (!Array.isArray(expected)) return subsetMismatches(['body'], expected, actual);
  if (!Array.isArray(actual) || actual.length !== expected.length) return [{ path: ['body'], message: `body: ${show(actual)}, expected a list of ${String(expected.length)}` }];
  return expected.flatMap((element, i) => subsetMismatches(['body', i], element, actual[i]));
}

export function subsetMismatches(path: readonly (string | number)[], expected: unknown, actual: unknown): Mismatch[] {
  const where = path.join('.');
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [{ path, message: `${where}: ${show(actual)}, expected an object` }];
    return Object.entries(expected).flatMap(([k, v]) => {
      const member = (actual as Record<string, unknown>)[k];
      if (v === null) return member === undefined ? [] : [{ path: [...path, k], message: `${where}.${k}: ${show(member)}, expected absent` }];
      return subsetMismatches([...path, k], v, member);
    });
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [{ path, message: `${where}: ${show(actual)}, expected ${show(expected)}` }];
}

function exactValues(
  path: readonly string[],
  what: string,
  expected: Readonly<Record<string, string | null>> | undefined,
  actual: Readonly<Record<string, string>>,
  key: (name: string) => string,
): Mismatch[] {
  return Object.entries(expected ?? {}).flatMap(([name, value]) => {
    const seen = actual[key(name)];
    return (value === null ? seen === undefined : seen === value) ? [] : [{ path: [...path, name], message: `${what} ${name}: ${show(seen)}, expected ${value === null ? 'absent' : show(value)}` }];
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function lowerKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
}

function show(value: unknown): string {
  return value === undefined ? 'absent' : JSON.stringify(value);
}

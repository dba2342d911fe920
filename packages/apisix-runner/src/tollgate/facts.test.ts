// HTTPReqCall.Req → RequestFacts: how repeated and value-less headers and args are grouped.
import { describe, expect, it, vi } from 'vitest';
import { encodeHttpReqCallRequest } from '../../../../test/support/apisix-side/apisix-codec.js';
import type { HttpReqCallRequest, ReceivedReqCall } from '../protocol/messages.js';
import { HEADER_BYTES } from '../protocol/rpc.js';
import { decodeHttpReqCallRequest } from '../protocol/runner-codec.js';
import { toFacts } from './facts.js';

/** The request as the runner receives it from APISIX. */
function req(over: Partial<HttpReqCallRequest>): ReceivedReqCall {
  const frame = encodeHttpReqCallRequest({ id: 1, srcIp: new Uint8Array([10, 0, 0, 1]), method: 'GET', path: '/v1/forecast', args: [], headers: [], confToken: 1, ...over });
  const decoded = decodeHttpReqCallRequest(frame.subarray(HEADER_BYTES));
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value;
}

describe('toFacts', () => {
  it('keeps one value as a string, collects repeated names in order, and skips value-less headers', () => {
    const facts = toFacts(req({ headers: [{ name: 'accept', value: 'a' }, { name: 'x-tag', value: '1' }, { name: 'x-tag', value: '2' }, { name: 'x-tag', value: '3' }, { name: 'x-empty' }] }), {});
    expect({ ...facts.headers }).toEqual({ accept: 'a', 'x-tag': ['1', '2', '3'] });
  });

  it('turns a value-less arg into true unless the name also has a value', () => {
    const facts = toFacts(req({ args: [{ name: 'flag' }, { name: 'a' }, { name: 'a', value: '1' }, { name: 'b', value: '2' }, { name: 'b' }, { name: 'c', value: '' }, { name: 'c', value: 'x' }] }), {});
    expect({ ...facts.query }).toEqual({ flag: true, a: '1', b: '2', c: ['', 'x'] });
  });

  it('keeps names such as __proto__ as plain entries', () => {
    const facts = toFacts(req({ headers: [{ name: '__proto__', value: 'x' }, { name: 'constructor', value: 'y' }] }), {});
    expect(facts.headers.__proto__).toBe('x');
    expect(facts.headers.constructor).toBe('y');
  });

  it('reads the host, the request id, and the credential only for an authenticated consumer', () => {
    const headers = [{ name: 'host', value: 'api.example' }, { name: 'x-request-id', value: 'r1' }, { name: 'x-credential-identifier', value: 'cred-1' }];
    expect(toFacts(req({ headers }), {})).toMatchObject({ host: 'api.example', requestId: 'r1', clientIp: '10.0.0.1' });
    expect(toFacts(req({ headers }), {}).credentialId).toBeUndefined();
    expect(toFacts(req({ headers }), { consumerName: 'alice' })).toMatchObject({ consumer: { username: 'alice' }, credentialId: 'cred-1' });
  });

  it('groups headers and query only when they are read, once', () => {
    const request = req({ headers: [{ name: 'host', value: 'api.example' }, { name: 'accept', value: 'a' }], args: [{ name: 'q', value: '1' }] });
    const headers = vi.spyOn(request, 'headers', 'get');
    const args = vi.spyOn(request, 'args', 'get');
    const facts = toFacts(request, {});
    expect(facts.host).toBe('api.example');
    expect(headers).not.toHaveBeenCalled();
    expect(args).not.toHaveBeenCalled();
    expect(facts.headers).toBe(facts.headers);
    expect(facts.query).toBe(facts.query);
    expect({ ...facts.headers }).toEqual({ host: 'api.example', accept: 'a' });
    expect(headers).toHaveBeenCalledTimes(1);
    expect(args).toHaveBeenCalledTimes(1);
  });
});

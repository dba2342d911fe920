// Round trips through both halves of the codec, plus the reference frames of the protocol notes
// (apisix-ext-plugin.md §14.8), which pin the layout the runner must produce.
import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { Req as HttpReqCallReq } from '../generated/a6/httpreq-call/req.js';
import { TextEntry } from '../generated/a6/text-entry.js';
import * as apisix from '../../../../test/support/apisix-side/apisix-codec.js';
import type { HttpReqCallRequest, HttpReqCallResponse } from './messages.js';
import { FrameTooLargeError } from './frame.js';
import { ErrorCode, HEADER_BYTES, MAX_PAYLOAD_BYTES } from './rpc.js';
import * as runner from './runner-codec.js';

const payload = (frame: Buffer): Buffer => frame.subarray(HEADER_BYTES);
const ok = <T>(decoded: { ok: true; value: T } | { ok: false; error: string }): T => {
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value;
};

const base: HttpReqCallRequest = { id: 1, srcIp: Uint8Array.from([10, 0, 0, 1]), method: 'GET', path: '/p', args: [], headers: [], confToken: 1 };

/** The request as the runner decodes it, as plain values. */
function received(req: HttpReqCallRequest): HttpReqCallRequest {
  const { id, srcIp, method, path, args, headers, confToken } = ok(runner.decodeHttpReqCallRequest(payload(apisix.encodeHttpReqCallRequest(req))));
  return { id, srcIp, method, path, args, headers, confToken };
}

describe('reference frames', () => {
  it.each([
    ['Err CONF_TOKEN_NOT_FOUND', runner.encodeError(ErrorCode.ConfTokenNotFound), '000000140c00000000000600080007000600000000000002'],
    ['Err SERVICE_UNAVAILABLE', runner.encodeError(ErrorCode.ServiceUnavailable), '000000140c00000000000600080007000600000000000001'],
    ['Err BAD_REQUEST', runner.encodeError(ErrorCode.BadRequest), '0000000c080000000400040004000000'],
    ['PrepareConf.Resp 233', runner.encodePrepareConfResponse(233), '010000140c000000000006000800040006000000e9000000'],
    [
      'ExtraInfo.Req Var remote_addr',
      runner.encodeExtraInfoRequest({ kind: 'var', name: 'remote_addr' }),
      '030000340c00000008000a0009000400080000000c000000000106000800040006000000040000000b00000072656d6f74655f6164647200',
    ],
    ['ExtraInfo.Resp 127.0.0.1', apisix.encodeExtraInfoResponse({ result: Buffer.from('127.0.0.1') }), '030000240c00000000000600080004000600000004000000090000003132372e302e302e31000000'],
  ])('%s', (_name, frame, hex) => {
    expect(frame.toString('hex')).toBe(hex);
  });

  // The runner writes its per-call answers front to back (flat-writer.ts), so their bytes differ
  // from the Builder's reference frames; what they carry must not.
  it.each([
    ['HTTPReqCall.Resp none', { id: 0, action: { kind: 'none' } }, '0200000c080000000400040004000000'],
    [
      'HTTPReqCall.Resp Stop 402 pay',
      { id: 0, action: { kind: 'stop', status: 402, headers: [], body: Buffer.from('pay') } },
      '020000381000000000000a000a000000090004000a0000001000000000010a000c000a00000004000a00000008000000000092010300000070617900',
    ],
  ] satisfies [string, HttpReqCallResponse, string][])('%s decodes as the reference frame does', (_name, resp, hex) => {
    const reference = ok(apisix.decodeHttpReqCallResponse(payload(Buffer.from(hex, 'hex'))));
    const ours = ok(apisix.decodeHttpReqCallResponse(payload(runner.encodeHttpReqCallResponse(resp))));
    expect(ours).toEqual(reference);
    expect(reference.action.kind === 'stop' && Buffer.from(reference.action.body ?? []).toString()).toBe(resp.action.kind === 'stop' ? 'pay' : false);
  });
});

describe('round trips', () => {
  it('PrepareConf.Req with and without conf', () => {
    const req = { conf: [{ name: 'tollgate', value: '{"a":1}' }, { name: 'x', value: '' }], key: 'route#1#ext-plugin-pre-req#7' };
    expect(ok(runner.decodePrepareConfRequest(payload(apisix.encodePrepareConfRequest(req))))).toEqual(req);
    expect(ok(runner.decodePrepareConfRequest(payload(apisix.encodePrepareConfRequest({ conf: [], key: 'k' }))))).toEqual({ conf: [], key: 'k' });
  });

  it('HTTPReqCall.Req keeps value-less entries, repeats and both address families', () => {
    const req: HttpReqCallRequest = {
      id: (3 << 22) + 17,
      srcIp: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
      method: 'PUT',
      path: '/hello',
      args: [{ name: 'xx', value: 'y' }, { name: 'xx', value: 'z' }, { name: 'y', value: '' }, { name: 'z' }],
      headers: [{ name: 'host', value: 'example.com' }, { name: 'x-multi', value: 'a' }, { name: 'x-multi', value: 'b' }],
      confToken: 233,
    };
    expect(received(req)).toEqual(req);
    const v4 = { ...req, srcIp: Uint8Array.from([127, 0, 0, 1]), method: 'GET' as const, args: [], headers: [] };
    expect(received(v4)).toEqual(v4);
  });

  it('HTTPReqCall.Req finds a header by name as the decoded headers would, before and after decoding them', () => {
    const bom = '\ufeff';
    const headers = [{ name: 'x-flag' }, { name: 'x-flag', value: '' }, { name: 'x-flag', value: 'second' }, { name: `${bom}host`, value: 'bom.example' }, { name: 'café', value: 'crème' }];
    const req = ok(runner.decodeHttpReqCallRequest(payload(apisix.encodeHttpReqCallRequest({ ...base, headers }))));
    const lookups = ['x-flag', 'host', 'café', 'x-fla', 'x-flags', 'absent'];
    const beforeDecoding = lookups.map((name) => req.header(name));
    // A value-less entry is skipped; TextDecoder drops the byte order mark of a name, as the reader does.
    expect(beforeDecoding).toEqual(['', 'bom.example', 'crème', undefined, undefined, undefined]);
    expect(req.headers.map((h) => h.name)).toEqual(['x-flag', 'x-flag', 'x-flag', 'host', 'café']);
    expect(lookups.map((name) => req.header(name))).toEqual(beforeDecoding);
  });

  it.each<HttpReqCallResponse>([
    { id: 9, action: { kind: 'none' } },
    { id: 9, action: { kind: 'stop', status: 429, headers: [{ name: 'Retry-After', value: '3' }, { name: 'X-Same', value: '1' }, { name: 'X-Same', value: '2' }], body: new TextEncoder().encode('{}') } },
    { id: 9, action: { kind: 'rewrite', path: '/v2', headers: [{ name: 'x-plan', value: 'pro' }, { name: 'cookie' }], args: [{ name: 'a', value: '1' }, { name: 'b' }], respHeaders: [{ name: 'RateLimit', value: 'limit=5' }] } },
    { id: 9, action: { kind: 'rewrite', headers: [], args: [], respHeaders: [], body: new TextEncoder().encode('new body') } },
  ])('HTTPReqCall.Resp %#', (resp) => {
    const decoded = ok(apisix.decodeHttpReqCallResponse(payload(runner.encodeHttpReqCallResponse(resp))));
    expect(JSON.parse(JSON.stringify(decoded, bytesAsText))).toEqual(JSON.parse(JSON.stringify(resp, bytesAsText)));
  });

  it('ExtraInfo Var, ReqBody, RespBody and absent vs empty results', () => {
    for (const req of [{ kind: 'var', name: 'consumer_name' }, { kind: 'req-body' }, { kind: 'resp-body' }] as const) {
      expect(ok(apisix.decodeExtraInfoRequest(payload(runner.encodeExtraInfoRequest(req))))).toEqual(req);
    }
    const text = (result?: Uint8Array) => ok(runner.decodeExtraInfoText(payload(apisix.encodeExtraInfoResponse(result === undefined ? {} : { result }))));
    expect(text()).toBeUndefined();
    expect(text(new Uint8Array(0))).toBe('');
    // A variable's bytes are its text as they are: a leading byte order mark stays.
    expect(text(Buffer.from('\ufeffalice'))).toBe('\ufeffalice');
  });

  it('HTTPRespCall both ways and Err codes', () => {
    const req = { id: 1, status: 502, headers: [{ name: 'Content-Type', value: 'text/plain' }], confToken: 4 };
    expect(ok(runner.decodeHttpRespCallRequest(payload(apisix.encodeHttpRespCallRequest(req))))).toEqual(req);
    const resp = { id: 1, status: 0, headers: [] };
    expect(ok(apisix.decodeHttpRespCallResponse(payload(runner.encodeHttpRespCallResponse(resp))))).toEqual(resp);
    for (const code of Object.values(ErrorCode)) expect(ok(apisix.decodeErrorCode(payload(runner.encodeError(code))))).toBe(code);
  });
});

describe('hostile payloads', () => {
  const valid = payload(apisix.encodeHttpReqCallRequest({ id: 1, srcIp: Uint8Array.from([1, 2, 3, 4]), method: 'GET', path: '/p', args: [{ name: 'a', value: 'b' }], headers: [{ name: 'h', value: 'v' }], confToken: 1 }));

  it('rejects empty and truncated buffers', () => {
    expect(runner.decodeHttpReqCallRequest(new Uint8Array(0)).ok).toBe(false);
    for (let length = 0; length < valid.length; length++) {
      // Some prefixes still happen to be well-formed; none may decode into out-of-range reads.
      const decoded = runner.decodeHttpReqCallRequest(valid.subarray(0, length));
      if (decoded.ok) expect(decoded.value.path.length).toBeLessThanOrEqual(length);
    }
    expect(runner.decodeHttpReqCallRequest(valid.subarray(0, 8)).ok).toBe(false);
  });

  it('rejects a forged vector length instead of iterating it', () => {
    const forged = Buffer.from(valid);
    // Find the args vector length (1) and claim a billion entries.
    const req = ok(runner.decodeHttpReqCallRequest(forged));
    expect(req.args).toHaveLength(1);
    let rejected = false;
    for (let at = 0; at + 4 <= forged.length && !rejected; at += 4) {
      if (forged.readUInt32LE(at) !== 1) continue;
      const copy = Buffer.from(forged);
      copy.writeUInt32LE(1_000_000_000, at);
      rejected = !runner.decodeHttpReqCallRequest(copy).ok;
    }
    expect(rejected).toBe(true);
  });

  it('survives every single-byte corruption without throwing', () => {
    for (let at = 0; at < valid.length; at++) {
      for (const byte of [0x00, 0x7f, 0x80, 0xff]) {
        const copy = Buffer.from(valid);
        copy[at] = byte;
        expect(() => runner.decodeHttpReqCallRequest(copy)).not.toThrow();
      }
    }
  });
});

function bytesAsText(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value;
}

describe('strings', () => {
  const texts = ['', 'x-plan', '"minute";r=999999998;t=54', 'café ☕', '𝄞 clef', '\u007f\u0080'];

  it('writes any text as UTF-8 that the generated readers read back', () => {
    const headers = texts.map((value, i) => ({ name: `h${i}-${value}`, value }));
    const resp: HttpReqCallResponse = { id: 1, action: { kind: 'rewrite', path: texts.join('/'), headers, args: [], respHeaders: headers } };
    expect(ok(apisix.decodeHttpReqCallResponse(payload(runner.encodeHttpReqCallResponse(resp))))).toEqual(resp);
  });

  it('grows the answer buffer for large answers', () => {
    const body = new Uint8Array(100_000).fill(0x61);
    const headers = Array.from({ length: 300 }, (_, i) => ({ name: `x-header-${i}`, value: 'v'.repeat(i) }));
    const resp: HttpReqCallResponse = { id: 7, action: { kind: 'stop', status: 429, headers, body } };
    const decoded = ok(apisix.decodeHttpReqCallResponse(payload(runner.encodeHttpReqCallResponse(resp))));
    expect(JSON.parse(JSON.stringify(decoded, bytesAsText))).toEqual(JSON.parse(JSON.stringify(resp, bytesAsText)));
    const tooLarge: HttpReqCallResponse = { id: 9, action: { kind: 'stop', status: 413, headers: [], body: new Uint8Array(MAX_PAYLOAD_BYTES) } };
    expect(() => runner.encodeHttpReqCallResponse(tooLarge)).toThrow(FrameTooLargeError);
    // The next, small answer starts from a clean buffer.
    expect(ok(apisix.decodeHttpReqCallResponse(payload(runner.encodeHttpReqCallResponse({ id: 8, action: { kind: 'none' } }))))).toEqual({ id: 8, action: { kind: 'none' } });
  });

  it('reads strings as the stock TextDecoder path does, byte order marks and malformed UTF-8 included', () => {
    const values = [...texts.map((text) => Buffer.from(text)), Buffer.from([0xef, 0xbb, 0xbf, 0x61]), Buffer.from([0x61, 0xff, 0xc3, 0x62]), Buffer.from([0xed, 0xa0, 0x80])];
    // Built by hand: the APISIX-side encoder takes strings, these must go on the wire as raw bytes.
    const raw = new Builder(256);
    const headers = values.map((bytes, i) => {
      const name = raw.createString(`h${i}`);
      const value = raw.createString(bytes);
      TextEntry.startTextEntry(raw);
      TextEntry.addName(raw, name);
      TextEntry.addValue(raw, value);
      return TextEntry.endTextEntry(raw);
    });
    const vector = HttpReqCallReq.createHeadersVector(raw, headers);
    HttpReqCallReq.startReq(raw);
    HttpReqCallReq.addHeaders(raw, vector);
    raw.finish(HttpReqCallReq.endReq(raw));
    const decoded = ok(runner.decodeHttpReqCallRequest(raw.asUint8Array()));
    const stock = new TextDecoder();
    expect(decoded.headers.map((h) => h.value)).toEqual(values.map((bytes) => stock.decode(bytes)));
  });
});

import { describe, expect, it } from 'vitest';
import { encodeFrame, encodeTextFrame, FrameReader, FrameTooLargeError } from './frame.js';
import { MAX_PAYLOAD_BYTES } from './rpc.js';

describe('encodeFrame', () => {
  it('writes the type byte and a 24-bit big-endian length', () => {
    const frame = encodeFrame(2, new Uint8Array(0x01_02_03));
    expect([...frame.subarray(0, 4)]).toEqual([2, 0x01, 0x02, 0x03]);
    expect(frame.length).toBe(4 + 0x01_02_03);
  });

  it('refuses a payload the length field cannot express', () => {
    expect(() => encodeFrame(1, new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toThrow(new FrameTooLargeError(MAX_PAYLOAD_BYTES + 1));
    expect(() => encodeFrame(1, new Uint8Array(MAX_PAYLOAD_BYTES + 1))).toThrow('frame payload of 16777216 bytes exceeds the protocol limit of 16777215 bytes');
  });
});

describe('encodeTextFrame', () => {
  it('is the frame of the text in UTF-8, its length counted in bytes', () => {
    const text = '{"b":"Grüße, 世界"}';
    expect(encodeTextFrame(0x83, text)).toEqual(encodeFrame(0x83, Buffer.from(text, 'utf8')));
  });

  it('refuses a text whose bytes the length field cannot express', () => {
    expect(() => encodeTextFrame(1, 'é'.repeat((MAX_PAYLOAD_BYTES + 1) / 2))).toThrow(new FrameTooLargeError(MAX_PAYLOAD_BYTES + 1));
  });
});

describe('FrameReader', () => {
  const a = encodeFrame(1, Buffer.from('hello'));
  const b = encodeFrame(3, Buffer.from(''));
  const c = encodeFrame(2, Buffer.from('world!'));
  const stream = Buffer.concat([a, b, c]);

  it('reassembles frames from every possible split of the stream', () => {
    for (let cut1 = 0; cut1 <= stream.length; cut1++) {
      for (let cut2 = cut1; cut2 <= stream.length; cut2++) {
        const reader = new FrameReader();
        const frames = [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)].flatMap((part) => reader.push(part));
        expect(frames.map((f) => [f.type, Buffer.from(f.payload).toString()])).toEqual([
          [1, 'hello'],
          [3, ''],
          [2, 'world!'],
        ]);
        expect(reader.buffered).toBe(0);
      }
    }
  });

  it('reassembles byte by byte', () => {
    const reader = new FrameReader();
    const frames = [...stream].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(frames).toHaveLength(3);
  });

  it('keeps an incomplete frame buffered', () => {
    const reader = new FrameReader();
    expect(reader.push(c.subarray(0, 6))).toEqual([]);
    expect(reader.buffered).toBe(6);
  });

  it('rejects an announced length above its cap as soon as the header is complete', () => {
    const reader = new FrameReader(100);
    expect(() => reader.push(Buffer.from([2, 0, 0, 101]))).toThrow('frame payload of 101 bytes exceeds the configured limit of 100 bytes');
    expect(new FrameReader(100).push(encodeFrame(2, new Uint8Array(100)))).toHaveLength(1);
  });
});

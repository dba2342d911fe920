// Framing: 1 type byte + 24-bit big-endian payload length, then the payload (one finished
// FlatBuffer). Reads arrive in arbitrary chunks, so frames are reassembled from partial headers,
// partial payloads and several frames per chunk.
import { HEADER_BYTES, MAX_PAYLOAD_BYTES } from './rpc.js';

export interface Frame {
  readonly type: number;
  readonly payload: Uint8Array;
}

export class FrameTooLargeError extends Error {
  /** `limit` is the protocol's own (2^24 - 1) unless a reader was given a smaller one. */
  constructor(
    readonly length: number,
    readonly limit: number = MAX_PAYLOAD_BYTES,
  ) {
    super(`frame payload of ${length} bytes exceeds the ${limit === MAX_PAYLOAD_BYTES ? 'protocol' : 'configured'} limit of ${limit} bytes`);
    this.name = 'FrameTooLargeError';
  }
}

export function encodeFrame(type: number, payload: Uint8Array): Buffer {
  if (payload.length > MAX_PAYLOAD_BYTES) throw new FrameTooLargeError(payload.length);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame[0] = type;
  frame.writeUIntBE(payload.length, 1, 3);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/** A frame whose payload is `text` in UTF-8, encoded straight into the frame: one buffer, no copy. */
export function encodeTextFrame(type: number, text: string): Buffer {
  const length = Buffer.byteLength(text);
  if (length > MAX_PAYLOAD_BYTES) throw new FrameTooLargeError(length);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame[0] = type;
  frame.writeUIntBE(length, 1, 3);
  frame.write(text, HEADER_BYTES);
  return frame;
}

/**
 * Accumulates bytes and yields complete frames. The length cap is checked as soon as a header is
 * complete, so a peer announcing a huge frame is rejected before anything is buffered for it.
 * A chunk usually holds whole frames (APISIX writes one frame at a time): those are cut straight
 * out of it. Bytes of an incomplete frame are kept as received and joined once, when it completes.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxPayload: number = MAX_PAYLOAD_BYTES) {}

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Adds a chunk and returns every frame it completes; throws FrameTooLargeError on an oversized header. */
  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (!this.firstFrameComplete()) return [];
    const data = this.pending.length === 1 ? (this.pending[0] ?? chunk) : Buffer.concat(this.pending, this.pendingBytes);
    const frames: Frame[] = [];
    let offset = 0;
    while (data.length - offset >= HEADER_BYTES) {
      const length = this.payloadLength(data, offset);
      const end = offset + HEADER_BYTES + length;
      if (end > data.length) break;
      frames.push({ type: data[offset] ?? 0, payload: data.subarray(offset + HEADER_BYTES, end) });
      offset = end;
    }
    this.pending = offset === data.length ? [] : [data.subarray(offset)];
    this.pendingBytes = data.length - offset;
    return frames;
  }

  /** Whether the pending bytes hold the first frame whole (its header may span chunks). */
  private firstFrameComplete(): boolean {
    if (this.pendingBytes < HEADER_BYTES) return false;
    const first = this.pending[0] ?? Buffer.alloc(0);
    const head = first.length >= HEADER_BYTES ? first : Buffer.concat(this.pending, this.pendingBytes);
    if (head !== first) this.pending = [head];
    return this.pendingBytes >= HEADER_BYTES + this.payloadLength(head, 0);
  }

  private payloadLength(data: Buffer, offset: number): number {
    const length = ((data[offset + 1] ?? 0) << 16) | ((data[offset + 2] ?? 0) << 8) | (data[offset + 3] ?? 0);
    if (length > this.maxPayload) throw new FrameTooLargeError(length, this.maxPayload);
    return length;
  }
}

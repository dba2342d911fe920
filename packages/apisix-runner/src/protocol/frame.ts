// Framing: 1 type byte + 24-bit big-endian payload length, then the payload (one finished
// FlatBuffer). Reads arrive in arbitrary chunks, so frames are reassembled from partial headers,
// partial payloads and several frames per chunk.
import { HEADER_BYTES, MAX_PAYLOAD_BYTES } from './rpc.js';

export interface Frame {
  readonly type: number;
  readonly payload: Uint8Array;
}

export class FrameTooLargeError extends Error {
  constructor(readonly length: number) {
    super(`frame payload of ${length} bytes exceeds the protocol maximum of ${MAX_PAYLOAD_BYTES}`);
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

/**
 * Accumulates bytes and yields complete frames. The length cap is checked as soon as a header is
 * complete, so a peer announcing a huge frame is rejected before anything is buffered for it.
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
    const frames: Frame[] = [];
    while (this.pendingBytes >= HEADER_BYTES) {
      const head = this.peekHeader();
      const length = head.readUIntBE(1, 3);
      if (length > this.maxPayload) throw new FrameTooLargeError(length);
      if (this.pendingBytes < HEADER_BYTES + length) break;
      const bytes = this.take(HEADER_BYTES + length);
      frames.push({ type: bytes[0] ?? 0, payload: bytes.subarray(HEADER_BYTES) });
    }
    return frames;
  }

  private peekHeader(): Buffer {
    const first = this.pending[0];
    if (first !== undefined && first.length >= HEADER_BYTES) return first;
    const joined = Buffer.concat(this.pending);
    this.pending = [joined];
    return joined;
  }

  private take(count: number): Buffer {
    const joined = this.pending.length === 1 ? (this.pending[0] ?? Buffer.alloc(0)) : Buffer.concat(this.pending);
    const taken = joined.subarray(0, count);
    const rest = joined.subarray(count);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return taken;
  }
}

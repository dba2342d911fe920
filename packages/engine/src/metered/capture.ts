// Capturing a response body as RESPONSE_CAPTURE says, chunk by chunk and without buffering it: its
// first `head` bytes, and a ring of its last `tail` bytes. For the JavaScript adapters and for
// playing scenarios; the Lua adapters do the same in body_filter.
import { RESPONSE_CAPTURE, type CapturedBody } from '../types.js';

export class BodyCapture {
  readonly #head = new Uint8Array(RESPONSE_CAPTURE.head);
  #headLength = 0;
  /** The last bytes after the head, as a ring: all of them while there are at most RESPONSE_CAPTURE.tail. */
  readonly #ring = new Uint8Array(RESPONSE_CAPTURE.tail);
  #ringEnd = 0;
  #size = 0;

  push(chunk: Uint8Array): void {
    let from = 0;
    if (this.#headLength < this.#head.length) {
      from = Math.min(chunk.length, this.#head.length - this.#headLength);
      this.#head.set(chunk.subarray(0, from), this.#headLength);
      this.#headLength += from;
    }
    // Only the last ring-length bytes of a chunk can survive.
    const rest = chunk.subarray(Math.max(from, chunk.length - this.#ring.length));
    for (let i = 0; i < rest.length; ) {
      const at = this.#ringEnd % this.#ring.length;
      const n = Math.min(rest.length - i, this.#ring.length - at);
      this.#ring.set(rest.subarray(i, i + n), at);
      this.#ringEnd += n;
      i += n;
    }
    this.#size += chunk.length;
  }

  result(): CapturedBody {
    const decoder = new TextDecoder();
    const afterHead = this.#size - this.#headLength;
    const head = this.#head.subarray(0, this.#headLength);
    if (afterHead <= RESPONSE_CAPTURE.tail) {
      // Whole: the head and what followed it, in one piece.
      return { head: decoder.decode(concat(head, this.#last(afterHead))), tail: '', size: this.#size };
    }
    return { head: decoder.decode(head), tail: decoder.decode(this.#last(RESPONSE_CAPTURE.tail)), size: this.#size };
  }

  /** The last `n` bytes written to the ring (n ≤ its length). */
  #last(n: number): Uint8Array {
    const end = this.#ringEnd % this.#ring.length;
    if (n <= end) return this.#ring.slice(end - n, end);
    return concat(this.#ring.subarray(this.#ring.length - (n - end)), this.#ring.subarray(0, end));
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A whole body captured as an adapter would have captured it. */
export function captureBody(body: string | Uint8Array): CapturedBody {
  const capture = new BodyCapture();
  capture.push(typeof body === 'string' ? new TextEncoder().encode(body) : body);
  return capture.result();
}

// Reads a request body into memory with a hard size limit, so a client can't make the server
// buffer an unbounded payload: a declared Content-Length over the limit is refused before any
// byte is read, and a chunked body is cut off as soon as it crosses the limit.
import type { IncomingMessage } from 'node:http';

export type BodyRead =
  | { readonly ok: true; readonly bytes: Buffer }
  | { readonly ok: false; readonly status: 400 | 413; readonly detail: string };

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyRead> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limitBytes) return tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) {
        // Stop reading; the response closes the connection rather than drain the rest.
        req.pause();
        return tooLarge(limitBytes);
      }
      chunks.push(chunk);
    }
  } catch {
    return { ok: false, status: 400, detail: 'the request body was cut off' };
  }
  return { ok: true, bytes: Buffer.concat(chunks, size) };
}

function tooLarge(limitBytes: number): BodyRead {
  return { ok: false, status: 413, detail: `the request body is larger than ${limitBytes} bytes` };
}

// What every endpoint here is: a function any Node `http` server can call, which always answers
// (errors included) and never rejects.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** `application/json`, with or without parameters such as charset. */
export function isJson(contentType: string | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType ?? '');
}

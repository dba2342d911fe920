// kong-pdk 0.6.0 keeps an entry in Server#events for every event that ends in
// kong.response.exit (Kong sends no Step after an exit) or whose handler returns before its first
// PDK call (HandleEvent answers "ret" directly); only a Step answered with "ret" deletes one. Every
// denied request and every no-op log phase would leak one entry for the life of the process. When
// this module runs inside kong-js-pluginserver it wraps the two methods that answer Kong so an
// event that has ended is forgotten, as the server already does on its one path.
import Module from 'node:module';
import { sep } from 'node:path';

interface EventReply {
  readonly Data?: unknown;
  readonly EventId?: number;
}

interface ServerPrototype {
  HandleEvent: (this: ServerInstance, event: unknown) => Promise<EventReply>;
  step: (this: ServerInstance, data: unknown, isError: boolean) => Promise<EventReply>;
  [PATCHED]?: true;
}

interface ServerInstance {
  readonly events?: Map<number, unknown>;
}

const PATCHED = Symbol.for('tollgate.kong-pdk.event-leak');
const SERVER_FILE = `${sep}kong-pdk${sep}server.js`;
const ENDS_EVENT = new Set(['kong.response.exit', 'kong.response.error']);

function endsEvent(data: unknown): boolean {
  return data === 'ret' || (typeof data === 'object' && data !== null && ENDS_EVENT.has((data as { Method?: string }).Method ?? ''));
}

function forgetEnded(server: ServerInstance, reply: EventReply): EventReply {
  if (reply.EventId !== undefined && endsEvent(reply.Data)) server.events?.delete(reply.EventId);
  return reply;
}

/** Returns whether kong-pdk's server module was found and patched (false outside the server). */
export function patchKongPdkEventLeak(): boolean {
  const cache = (Module as unknown as { _cache?: Record<string, { filename: string; exports: unknown } | undefined> })._cache ?? {};
  const server = Object.values(cache).find((mod) => mod?.filename.endsWith(SERVER_FILE));
  const proto = (server?.exports as { prototype?: ServerPrototype } | undefined)?.prototype;
  if (typeof proto?.HandleEvent !== 'function' || typeof proto.step !== 'function') return false;
  if (proto[PATCHED]) return true;
  const handleEvent = proto.HandleEvent;
  const step = proto.step;
  proto.HandleEvent = async function (event) {
    return forgetEnded(this, await handleEvent.call(this, event));
  };
  proto.step = async function (data, isError) {
    return forgetEnded(this, await step.call(this, data, isError));
  };
  proto[PATCHED] = true;
  return true;
}

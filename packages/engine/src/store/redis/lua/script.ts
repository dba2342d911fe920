// A Lua script as the store sends it: its text and the SHA1 that EVALSHA names it by. The SHA is
// computed once at load; a unit test pins each script's SHA so an edit is always deliberate.
import { createHash } from 'node:crypto';

/** One KEYS or ARGV member as the client sends it. */
export type ScriptArgument = string | number;

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

export function luaScript(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

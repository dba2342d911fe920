// Minimal kong-pdk plugins written to a temporary plugin directory: the protocol reference's
// "paywall" (exit or set a header), a no-op (the benchmark's floor: one RPC per request) and
// "replay", which makes the PDK calls its config lists and nothing else (the benchmark's IPC
// floor for a given sequence of calls).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCES = {
  noop: `
class Plugin {
  async access() {}
}
module.exports = { Plugin, Version: '0.1.0', Priority: 0, Schema: [] };
`,
  paywall: `
class Plugin {
  constructor(config) { this.config = config; }
  async access(kong) {
    const key = await kong.request.getHeader('x-api-key');
    if (key === undefined) {
      await kong.response.exit(402, '{"message":"pay"}', { 'Content-Type': 'application/json', 'X-Paywall': '1' });
      return;
    }
    await kong.service.request.setHeader('x-paid', key);
  }
}
module.exports = { Plugin, Version: '1.2.3', Priority: 900, Schema: [{ price: { type: 'integer', default: 5 } }, { message: { type: 'string' } }] };
`,
  replay: `
class Plugin {
  constructor(config) { this.calls = JSON.parse(config.calls); }
  async access(kong) {
    for (const [path, ...args] of this.calls) {
      const names = path.split('.');
      const method = names.pop();
      const target = names.reduce((namespace, name) => namespace[name], kong);
      await target[method](...args);
    }
  }
}
module.exports = { Plugin, Version: '0.1.0', Priority: 0, Schema: [{ calls: { type: 'string', required: true, description: 'JSON: [[PDK method path, ...args], ...]' } }] };
`,
} as const;

export type FixturePlugin = keyof typeof SOURCES;

/** Writes `<name>.js` alone into a fresh directory (CommonJS: no package.json governs it). */
export function writeFixturePlugin(name: FixturePlugin): string {
  const dir = mkdtempSync(join(tmpdir(), `kong-plugin-${name}-`));
  writeFileSync(join(dir, `${name}.js`), SOURCES[name]);
  return dir;
}

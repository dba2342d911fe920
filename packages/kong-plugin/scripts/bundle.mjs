// Bundles each plugin into one self-contained CommonJS file that kong-js-pluginserver can
// require(): dist/kong/<plugin>/<plugin>.js, one directory per plugin because Kong 3.9+ registers
// only the first plugin a plugin server reports. The plugin directory must hold nothing but the
// plugin module (kong-pdk requires every file in it), so the CommonJS marker package.json sits one
// level up, where Node still finds it as the file's nearest package.json, next to
// without-typescript.cjs, the preload the plugin servers' start commands name (docs/kong.md).
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The plugins this package builds: one per src/entries/<name>.ts. */
export const PLUGINS = readdirSync(`${root}src/entries`)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

/** Bundles `name` into `<outDir>/<name>/<name>.js` and returns that plugin directory. */
export async function bundlePlugin(outDir = `${root}dist/kong`, name = 'tollgate') {
  if (!PLUGINS.includes(name)) throw new Error(`unknown plugin ${name}: expected one of ${PLUGINS.join(', ')}`);
  mkdirSync(`${outDir}/${name}`, { recursive: true });
  writeFileSync(`${outDir}/package.json`, `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  copyFileSync(`${root}pluginserver/without-typescript.cjs`, `${outDir}/without-typescript.cjs`);
  await build({
    entryPoints: [`${root}src/entries/${name}.ts`],
    outfile: `${outDir}/${name}/${name}.js`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    conditions: ['source'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  return `${outDir}/${name}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of PLUGINS) await bundlePlugin(undefined, name);
}

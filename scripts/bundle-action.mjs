// Bundles the CLI into the single file the GitHub Action runs, action/dist/tollgate.mjs, committed
// as JavaScript Actions commit their dist/: the Action needs no install step. `pnpm run
// bundle:action` rewrites it after a change to the CLI or anything it imports; test/action.test.ts
// rebuilds it into a temporary file and fails when the bytes differ. The output depends only on
// the sources and the lockfile: paths are relative to the repository, no sourcemap, no timestamp.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleExecutable } from './bundle-executable.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const ACTION_BUNDLE = resolve(root, 'action/dist/tollgate.mjs');

/** version.ts reads ../package.json beside the tsc output; the bundle carries the version instead. */
const inlineVersion = {
  name: 'inline-cli-version',
  setup(pluginBuild) {
    const { version } = JSON.parse(readFileSync(resolve(root, 'packages/cli/package.json'), 'utf8'));
    pluginBuild.onLoad({ filter: /packages[\\/]cli[\\/]src[\\/]version\.ts$/ }, () => ({ contents: `export const TOOL_VERSION = ${JSON.stringify(version)};`, loader: 'ts' }));
  },
};

/** @param {string} outfile @returns {Promise<string>} the outfile */
export function bundleAction(outfile = ACTION_BUNDLE) {
  return bundleExecutable(resolve(root, 'packages/cli/src/bin.ts'), outfile, {
    // Paths inside the bundle are relative to the repository, wherever it is checked out.
    absWorkingDir: root,
    sourcemap: false,
    // Whitespace and syntax only: names stay, so a stack trace (a bug) still reads.
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [inlineVersion],
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await bundleAction(process.argv[2] === undefined ? undefined : resolve(process.argv[2]));
  console.log(`bundled ${out}`);
}

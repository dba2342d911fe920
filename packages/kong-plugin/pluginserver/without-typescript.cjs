// Preload for kong-js-pluginserver serving bundled JavaScript plugins:
//   node --require <this file> <kong-pdk>/bin/kong-js-pluginserver --plugins-directory … (unchanged)
// kong-pdk 0.6.0's lib/mod.js calls require('ts-node').register() when it loads, so that plugins
// written in TypeScript can be required; ts-node loads the whole TypeScript compiler (about 65 MB
// of private memory per plugin server, idle or not). The Tollgate plugins are bundled JavaScript,
// so this file puts a ts-node whose register() does nothing into Node's module cache (the
// documented require.cache), for the ts-node that kong-pdk would load; kong-pdk's own bin,
// options, discovery and socket protocol run unchanged. Plugins written in TypeScript cannot be
// loaded by a plugin server started this way.
'use strict';

/* eslint-disable @typescript-eslint/no-require-imports -- a --require preload is CommonJS */
const { createRequire, Module } = require('node:module');
const { realpathSync } = require('node:fs');
const { dirname, join } = require('node:path');

const pluginServerBin = process.argv[1];
let tsNodePath;
try {
  // The main script is <kong-pdk>/bin/kong-js-pluginserver; ts-node is what <kong-pdk>/lib/mod.js resolves.
  const kongPdkMod = join(dirname(dirname(realpathSync(pluginServerBin ?? ''))), 'lib', 'mod.js');
  tsNodePath = createRequire(kongPdkMod).resolve('ts-node');
} catch (error) {
  process.stderr.write(`without-typescript.cjs: run it as "node --require ${__filename} <kong-pdk>/bin/kong-js-pluginserver …" (${error instanceof Error ? error.message : String(error)})\n`);
  process.exit(1);
}

const tsNode = new Module(tsNodePath);
tsNode.filename = tsNodePath;
tsNode.loaded = true;
tsNode.exports = { register() {} };
require.cache[tsNodePath] = tsNode;

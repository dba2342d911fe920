// nginx.conf for the Lua adapters in Debian's nginx + lua-nginx-module, shared by the tests
// (test/support/lua-nginx.ts) and `pnpm bench lua`: one server, one location per adapter entry
// (`kong_shim` or `apisix_shim` from test/lua/ stands in for the gateway around the real plugin)
// or a plain proxy location (no plugin), all proxying to one upstream. A location's `before` is
// Lua its access phase runs first: a plugin earlier in the gateway's chain.
import { fileURLToPath } from 'node:url';

export const LUA_MODULE = '/usr/lib/nginx/modules/ngx_http_lua_module.so';
export const NDK_MODULE = '/usr/lib/nginx/modules/ndk_http_module.so';
const ADAPTERS = fileURLToPath(new URL('../../packages/lua-adapters/', import.meta.url));
const SHIMS = fileURLToPath(new URL('../lua/', import.meta.url));

/**
 * @typedef {{ path: string, shim?: 'kong_shim' | 'apisix_shim', entry?: string, before?: string }} Location
 * @param {{ prefix: string, port: number, upstream: string, workers?: number, locations: Location[], confs: Record<string, string>, consumersPath: string, extraHttp?: string }} options
 *   confs: per shim, the JSON file of its entries by name.
 * @returns {string}
 */
export function luaNginxConf(options) {
  const { prefix } = options;
  const init = Object.entries(options.confs)
    .map(([shim, path]) => `require("${shim}").init("${path}", "${options.consumersPath}")`)
    .join('; ');
  const locations = options.locations
    .map((l) => {
      const phases =
        l.shim === undefined
          ? ''
          : `
      access_by_lua_block { ${l.before ?? ''} require("${l.shim}").access("${l.entry}") }
      header_filter_by_lua_block { require("${l.shim}").header_filter("${l.entry}") }
      body_filter_by_lua_block { require("${l.shim}").body_filter("${l.entry}") }
      log_by_lua_block { require("${l.shim}").log("${l.entry}") }`;
      return `
    location ${l.path} {
      set $upstream_uri '';
      set $upstream_host $http_host;${phases}
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $upstream_host;
      proxy_pass http://backend${l.shim === undefined ? '' : '$upstream_uri'};
    }`;
    })
    .join('\n');
  return `load_module ${NDK_MODULE};
load_module ${LUA_MODULE};
worker_processes ${options.workers ?? 1};
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  lua_package_path "${ADAPTERS}?.lua;${SHIMS}?.lua;;";
  # A client's address as a load balancer in front would pass it (the vectors' client IPs).
  set_real_ip_from 127.0.0.1;
  real_ip_header X-Real-IP;
  init_by_lua_block { ${init} }
  upstream backend { server ${options.upstream}; keepalive 64; }
${options.extraHttp ?? ''}
  server {
    listen 127.0.0.1:${options.port};
${locations}
  }
}
`;
}

-- The native Lua plugins as one rock: `tollgate-lua` for Kong (plugins = bundled,tollgate-lua) and
-- `tollgate` for APISIX, with the sidecar client both use. Pure Lua; the release workflow packs it
-- (luarocks make --pack-binary-rock) and attaches the .all.rock to the GitHub release.
rockspec_format = "3.0"
package = "tollgate-lua-adapters"
version = "0.1.0-1"
source = {
  url = "git+https://github.com/tollgate-dev/tollgate.git",
  tag = "v0.1.0",
}
description = {
  summary = "Tollgate quota and payment policies in Kong and APISIX through thin Lua plugins",
  detailed = [[
    kong.plugins.tollgate-lua (Kong 3.9) and apisix.plugins.tollgate (APISIX 3.x) send each
    request's facts in one frame over a unix socket to the Tollgate sidecar
    (npm: @tollgate/sidecar) and apply its answer. Needs lua-cjson and an OpenResty /
    lua-nginx-module runtime, which both gateways provide.
  ]],
  homepage = "https://github.com/tollgate-dev/tollgate",
  license = "Apache-2.0",
}
dependencies = {
  "lua >= 5.1",
}
build = {
  type = "builtin",
  modules = {
    ["kong.plugins.tollgate-lua.handler"] = "packages/lua-adapters/kong/plugins/tollgate-lua/handler.lua",
    ["kong.plugins.tollgate-lua.schema"] = "packages/lua-adapters/kong/plugins/tollgate-lua/schema.lua",
    ["apisix.plugins.tollgate"] = "packages/lua-adapters/apisix/plugins/tollgate.lua",
    ["tollgate.sidecar_client"] = "packages/lua-adapters/tollgate/sidecar_client.lua",
    ["tollgate.sidecar_channel"] = "packages/lua-adapters/tollgate/sidecar_channel.lua",
    ["tollgate.observe"] = "packages/lua-adapters/tollgate/observe.lua",
  },
}

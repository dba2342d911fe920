-- TEST-ONLY stand-in for APISIX 3.18.0's runloop around the tollgate plugin (apisix/init.lua,
-- apisix/plugin.lua, apisix/consumer.lua): the route's plugin conf (from a JSON file, checked by
-- the plugin's check_schema as APISIX does when it loads a route), ctx.var over ngx.var with its
-- cache (one shared metatable, as apisix/core/ctx.lua), key-auth's consumer attachment (attach_consumer: ctx.consumer, ctx.consumer_name and the
-- X-Credential-Identifier request header), calling access/header_filter/body_filter/log with (conf, ctx) and
-- a returned status answered through core.response.exit (ctx.var caches every variable but args and
-- is_args, as apisix/core/ctx.lua does). $upstream_uri stays '' unless the plugin sets it, as
-- apisix/cli/ngx_tpl.lua leaves it: nginx then forwards the client's target as sent, or its
-- normalized URI escaped again once set_uri_args changed the query.
local core = require("apisix.core")
local plugin = require("apisix.plugins.tollgate")
local shim_files = require("shim_files")

local ngx = ngx
local _M = {}
local confs, consumers

-- confs_path: the route plugin entries by name (one per nginx location).
function _M.init(confs_path, consumers_path)
  confs, consumers = shim_files.load(confs_path, consumers_path, function(conf) assert(plugin.check_schema(conf)) end)
end

-- One metatable for every request's ctx.var, the per-request values in its `_cache`, as
-- apisix/core/ctx.lua does (it also takes the table from a pool); no closure per request.
local var_mt = {
  __index = function(var, name)
    -- apisix/core/ctx.lua never caches these: set_uri_args changes them.
    if name == "args" or name == "is_args" then return ngx.var[name] end
    local cache = var._cache
    local value = cache[name]
    if value == nil then value = ngx.var[name]; cache[name] = value end
    return value
  end,
  __newindex = function(var, name, value)
    var._cache[name] = nil
    if name:sub(1, 5) ~= "http_" then ngx.var[name] = value end
  end,
}

local function api_ctx()
  local ctx = ngx.ctx.api_ctx
  if ctx then return ctx end
  ctx = { var = setmetatable({ _cache = {} }, var_mt) }
  ngx.ctx.api_ctx = ctx
  return ctx
end

function _M.access(entry)
  local conf = confs[entry]
  local ctx = api_ctx()
  -- key-auth, on the routes of tests that configured consumers (APISIX runs it only where enabled).
  local key = next(consumers) ~= nil and core.request.header(ctx, "apikey")
  local found = key and consumers[key]
  if found then
    ctx.consumer = { consumer_name = found.username, username = found.username, credential_id = found.credential }
    ctx.consumer_name = found.username
    core.request.set_header(ctx, "X-Credential-Identifier", found.credential)
  end
  local code, body = plugin.access(conf, ctx)
  if code then return core.response.exit(code, body) end
end

function _M.header_filter(entry) plugin.header_filter(confs[entry], api_ctx()) end
function _M.body_filter(entry) plugin.body_filter(confs[entry], api_ctx()) end
function _M.log(entry) plugin.log(confs[entry], api_ctx()) end

return _M

-- TEST-ONLY stand-in for the parts of APISIX 3.18.0's `apisix.core` that the tollgate plugin calls,
-- so the real plugin runs in Debian's nginx + lua-nginx-module against the real sidecar. Each
-- follows apisix/core/*.lua at 3.18.0 on the same nginx primitives:
--   core.request.get_method / headers (ngx.req.get_headers' first 100, cached in ctx.headers as
--     APISIX's own OpenResty build does) / header / set_header (nil clears;
--     updates the ctx caches) / set_uri_args (clears ctx.req_uri_args)
--   core.response.set_header (ngx.header; a nil value clears) / exit (status, string body as is)
--   core.utils.escape_uri_control_chars (control characters percent-encoded, nothing else),  core.schema.check (defaults only),
--   core.log.error
-- APISIX's runloop (ctx.var, consumer attachment, calling the phases) is in apisix_shim.lua.
local ngx = ngx

local function headers(ctx)
  local cached = ctx.headers
  if not cached then cached = ngx.req.get_headers(); ctx.headers = cached end
  return cached
end

local request = {
  get_method = ngx.req.get_method,
  headers = headers,
  header = function(ctx, name)
    local value = headers(ctx)[name]
    return type(value) == "table" and value[1] or value
  end,
  set_header = function(ctx, name, value)
    ngx.req.set_header(name, value)
    ctx.var["http_" .. name:lower()] = nil
    if ctx.headers then ctx.headers[name:lower()] = value end
  end,
  set_uri_args = function(ctx, args)
    ctx.req_uri_args = nil
    return ngx.req.set_uri_args(args)
  end,
}

local response = {
  set_header = function(name, value) ngx.header[name] = value end,
  exit = function(code, body)
    ngx.status = code
    if body ~= nil then ngx.print(body) end
    return ngx.exit(code)
  end,
}

return {
  request = request,
  response = response,
  utils = {
    escape_uri_control_chars = function(uri)
      return (uri:gsub("[%z\1-\31\127]", function(c) return string.format("%%%02X", c:byte()) end))
    end,
  },
  schema = {
    check = function(schema, conf)
      for name, property in pairs(schema.properties) do
        if conf[name] == nil then conf[name] = property.default end
      end
      for _, name in ipairs(schema.required or {}) do
        if conf[name] == nil then return false, "property \"" .. name .. "\" is required" end
      end
      return true
    end,
  },
  log = { error = function(...) ngx.log(ngx.ERR, ...) end },
}

-- TEST-ONLY stand-in for the parts of Kong 3.9.1 that tollgate-lua's handler calls, so the real
-- handler runs in Debian's nginx + lua-nginx-module against the real sidecar. Each function follows
-- Kong's own (kong/pdk/*.lua at 3.9.1) on the same nginx primitives:
--   kong.request.get_method / get_path / get_raw_query / get_headers / get_scheme
--   kong.client.get_forwarded_ip / get_consumer / get_credential   (ngx.ctx.authenticated_*)
--   kong.service.request.set_header (an empty value sent as " ") / clear_header / set_raw_query /
--     set_path ($upstream_uri)
--   kong.response.exit (string or nil body, framed with a Content-Length; not gRPC) / set_header
--     (both: an empty value sent as " ", Transfer-Encoding ignored) / get_header / clear_header /
--     get_status,  kong.ctx.plugin,  kong.log.err
-- and for Kong's runloop: the access phase as its collecting iterator runs it (kong.response.exit
-- delayed: kept, the handler stopped there, the response sent afterwards; an error a 500), the
-- plugin config (from a JSON file, schema defaults applied, as Kong hands a validated entry),
-- key-auth (apikey header → consumer + credential in ngx.ctx), the router's $upstream_uri (the
-- normalized path escaped again, for a route on `/` without strip_path and a service without a
-- path) and the access phase's `?args` suffix (kept for an empty query the client sent).

local ngx = ngx

local RESERVED = "!*'();:@&=+$,/?%#[]"

-- kong.tools.uri: reserved characters stay escaped, every other escape is decoded.
local function decode_unreserved(hex)
  local c = string.char(tonumber(hex, 16))
  return RESERVED:find(c, 1, true) and "%" .. hex:upper() or c
end

-- kong.tools.uri.escape: bytes outside the reserved and unreserved sets (and %) are escaped.
local function escape(uri)
  return (uri:gsub("[^!#$&'()*+,/:;=?@%[%]A-Za-z0-9%-_.~%%]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- kong.tools.uri.normalize(path, true): decode, drop dot segments, merge slashes. As Kong's, a path
-- with no escape, no dot and no double slash is returned as it is, without the work below.
local function normalize(path)
  if not path:find("%", 1, true) and not path:find(".", 1, true) and not path:find("//", 1, true) then return path end
  path = path:gsub("%%(%x%x)", decode_unreserved)
  local out = {}
  for segment in path:gmatch("[^/]+") do
    if segment == ".." then out[#out] = nil elseif segment ~= "." then out[#out + 1] = segment end
  end
  local trailing = (path:sub(-1) == "/" or path:match("/%.%.?$")) and #out > 0 and "/" or ""
  return "/" .. table.concat(out, "/") .. trailing
end

-- kong.request.get_raw_path: $request_uri up to its `?`.
local function raw_path()
  local uri = ngx.var.request_uri
  local query = uri:find("?", 2, true)
  return query and uri:sub(1, query - 1) or uri
end

-- kong/pdk/response.lua (set_header, and exit's headers): Transfer-Encoding is nginx's to set.
local function set_response_header(name, value)
  local lower = name:lower()
  if lower == "transfer-encoding" or lower == "transfer_encoding" then
    return ngx.log(ngx.WARN, "manually setting Transfer-Encoding. Ignored.")
  end
  -- An empty value would make nginx drop the header.
  ngx.header[name] = value == "" and " " or value
end

-- What a delayed exit raises to stop the handler where Kong's coroutine would stop.
local DELAYED_EXIT = {}

-- kong/pdk/response.lua send: the exit's status, headers and body, framed with a Content-Length.
local function send(status, body, headers)
  ngx.status = status
  local has_length = false
  for name, value in pairs(headers or {}) do
    set_response_header(name, value)
    local lower = name:lower()
    has_length = has_length or lower == "content-length" or lower == "content_length"
  end
  if not has_length then ngx.header["Content-Length"] = body and #body or 0 end
  if body then ngx.print(body) end
  return ngx.exit(status)
end

local function plugin_ctx()
  local ctx = ngx.ctx.kong_plugin_ctx
  if not ctx then ctx = {}; ngx.ctx.kong_plugin_ctx = ctx end
  return ctx
end

kong = {
  request = {
    get_method = function() return ngx.req.get_method() end,
    get_raw_path = raw_path,
    get_path = function() return normalize(raw_path()) end,
    get_raw_query = function() return ngx.var.args or "" end,
    get_headers = function() return ngx.req.get_headers(100) end,
    get_scheme = function() return ngx.var.scheme end,
  },
  client = {
    get_forwarded_ip = function() return ngx.var.remote_addr end,
    get_consumer = function() return ngx.ctx.authenticated_consumer end,
    get_credential = function() return ngx.ctx.authenticated_credential end,
  },
  service = { request = {
    set_header = function(name, value)
      if name:lower() == "host" then ngx.var.upstream_host = value end
      -- kong/pdk/private/checks.lua normalize_multi_header: nginx would drop an empty value.
      ngx.req.set_header(name, value == "" and " " or value)
    end,
    clear_header = function(name) ngx.req.clear_header(name) end,
    set_raw_query = function(query) ngx.req.set_uri_args(query) end,
    set_path = function(path) ngx.var.upstream_uri = escape(path) end,
  } },
  response = {
    exit = function(status, body, headers)
      -- In the access phase the runloop delays the exit: the response is kept, the plugin's
      -- coroutine yields and is never resumed (nothing after exit runs), and the runloop sends it.
      -- Here the handler is unwound instead: Debian's lua-nginx-module build aborts (SIGSEGV,
      -- "cannot resume non-suspended coroutine") on any I/O wait inside a user coroutine.
      local ctx = ngx.ctx
      if ctx.delay_response and not ctx.delayed_response then
        ctx.delayed_response = { status_code = status, content = body, headers = headers }
        error(DELAYED_EXIT)
      end
      return send(status, body, headers)
    end,
    set_header = set_response_header,
    get_header = function(name)
      local value = ngx.resp.get_headers()[name]
      return type(value) == "table" and value[1] or value
    end,
    clear_header = function(name) ngx.header[name] = nil end,
    get_status = function() return ngx.status end,
  },
  ctx = setmetatable({}, { __index = function(_, key) if key == "plugin" then return plugin_ctx() end end }),
  log = { err = function(...) ngx.log(ngx.ERR, ...) end },
}

local _M = {}
local confs, consumers
local handler = require("kong.plugins.tollgate-lua.handler")
local shim_files = require("shim_files")

-- confs_path: the plugin entries by name (one per nginx location).
function _M.init(confs_path, consumers_path)
  local defaults = { socket = "/run/tollgate/sidecar.sock", timeout = 1000, connect_timeout = 100, keepalive_timeout = 60000 }
  confs, consumers = shim_files.load(confs_path, consumers_path, function(conf)
    for name, value in pairs(defaults) do if conf[name] == nil then conf[name] = value end end
  end)
end

function _M.access(entry)
  -- kong/router/utils.lua strip_uri_args + kong/runloop/handler.lua: escape(normalize(path, true)).
  ngx.var.upstream_uri = escape(kong.request.get_path())
  -- key-auth, on the routes of tests that configured consumers (it reads every header, as Kong's does).
  local key = next(consumers) ~= nil and ngx.req.get_headers()["apikey"]
  local found = key and consumers[key]
  if found then
    ngx.ctx.authenticated_consumer = { id = found.id, username = found.username }
    ngx.ctx.authenticated_credential = found.credential and { id = found.credential, consumer = { id = found.id } } or nil
  end
  -- kong/init.lua execute_collecting_plugins_iterator: the plugin's access runs with
  -- ctx.delay_response set (in a coroutine of its own; see exit); an error in it becomes a 500,
  -- and a delayed exit is sent once the plugins have run (flush_delayed_response).
  local ctx = ngx.ctx
  ctx.delay_response = true
  local ok, err = pcall(handler.access, handler, confs[entry])
  ctx.delay_response = nil
  if not ok and err ~= DELAYED_EXIT then
    ngx.log(ngx.ERR, tostring(err))
    return send(500, '{"message":"An unexpected error occurred"}', { ["Content-Type"] = "application/json; charset=utf-8" })
  end
  local delayed = ctx.delayed_response
  if delayed then return send(delayed.status_code, delayed.content, delayed.headers) end
  -- The runloop's access `after`: nginx would drop an empty query, Kong keeps the client's `?`.
  if ngx.var.request_uri:sub(-1) == "?" or ngx.var.is_args == "?" then
    ngx.var.upstream_uri = ngx.var.upstream_uri .. "?" .. (ngx.var.args or "")
  end
end

function _M.header_filter(entry) handler:header_filter(confs[entry]) end
function _M.body_filter(entry) handler:body_filter(confs[entry]) end
function _M.log(entry) handler:log(confs[entry]) end

return _M

-- tollgate: Tollgate's native APISIX adapter (load it with `extra_lua_path` and list `tollgate` in
-- `plugins`). Access gathers the facts in-process (only those the sidecar asked for at
-- registration), sends them in one frame and applies the answer: an exit, or the upstream header,
-- query and path rewrites as ext-plugin applies a Rewrite. Client response headers are set in
-- header_filter; a follow-up (chargeOn success, a metered route) goes to the sidecar from the log
-- phase through a timer, so the response is streamed, never buffered or proxied a second time. On
-- a metered route header_filter takes the cost header off the response and body_filter keeps a
-- bounded copy of the body while every chunk passes on unchanged.
local core = require("apisix.core")
local client = require("tollgate.sidecar_client")
local observe = require("tollgate.observe")

local ngx, pairs, ipairs, type = ngx, pairs, ipairs, type

local schema = {
  type = "object",
  properties = {
    policy = { type = "string", minLength = 2, description = "The resolved Tollgate policy (EngineConfig JSON)." },
    route = { type = "string", description = "The policy route this entry guards; unset: matched from method, host and path." },
    socket = { type = "string", default = "/run/tollgate/sidecar.sock" },
    timeout = { type = "integer", minimum = 1, maximum = 60000, default = 1000 },
    connect_timeout = { type = "integer", minimum = 1, maximum = 60000, default = 100 },
    keepalive_timeout = { type = "integer", minimum = 1000, maximum = 3600000, default = 60000 },
  },
  required = { "policy" },
}

-- After the auth plugins (rewrite phase) and APISIX's own limit-conn/count/req (1003-1001), so
-- requests they reject never spend quota or credits.
local _M = { version = 0.1, priority = 999, name = "tollgate", schema = schema }

function _M.check_schema(conf)
  return core.schema.check(schema, conf)
end

local function facts(plan, ctx)
  local var = ctx.var
  local request = { m = core.request.get_method(), p = var.uri, q = var.args or "" }
  local all = core.request.headers(ctx)
  local headers = {}
  for _, name in ipairs(plan.headers) do headers[name] = all[name] end
  request.h = headers
  if plan.ip then request.ip = var.remote_addr end
  local name = ctx.consumer_name
  if plan.consumer and name then
    request.c = { username = name }
    -- The credential id the auth plugin attached with the consumer (as X-Credential-Identifier).
    if plan.credential and ctx.consumer then request.cr = ctx.consumer.credential_id end
  end
  if plan.scheme then request.s = var.scheme end
  if plan.body then request.b, request.bt = observe.request_body() end
  return request
end

function _M.access(conf, ctx)
  local state = client.state(conf, "apisix")
  local kind, answer = client.decide(state, facts, ctx)
  if not kind then
    core.log.error("tollgate: sidecar unavailable (", state.fail_open and "failing open" or "failing closed", "): ", answer)
    if state.fail_open then
      ctx.tollgate_response_headers = { [client.DEGRADED_HEADER] = client.DEGRADED_VALUE }
      return
    end
    local unavailable = client.UNAVAILABLE
    for name, value in pairs(unavailable.headers) do core.response.set_header(name, value) end
    return unavailable.status, unavailable.body
  end
  if kind == client.EXIT then
    for name, value in pairs(answer.h) do core.response.set_header(name, value) end
    return answer.s, answer.b
  end
  -- The engine's order: removals first, then sets.
  if answer.ur then for _, name in ipairs(answer.ur) do core.request.set_header(ctx, name, nil) end end
  if answer.uh then for name, value in pairs(answer.uh) do core.request.set_header(ctx, name, value) end end
  if answer.q then core.request.set_uri_args(ctx, answer.q) end
  if answer.p then
    -- The engine's path is already percent-encoded (template values are): escaping it again, as
    -- uri_safe_encode would, turns %2F into %252F. Control characters are never let through.
    local var = ctx.var
    var.upstream_uri = core.utils.escape_uri_control_chars(answer.p) .. (var.is_args or "") .. (var.args or "")
  end
  ctx.tollgate_response_headers = answer.rh
  if type(answer.f) == "string" then ctx.tollgate_follow_up = answer.f end
  -- Allow.observe: {h = cost header (lower-case), b = capture the body}.
  if type(answer.o) == "table" then ctx.tollgate_observe = answer.o end
end

function _M.header_filter(conf, ctx)
  local wanted = ctx.tollgate_observe
  if wanted then
    -- Only the upstream's own header counts ($upstream_http_*), and the client never sees it.
    local observed = {}
    if wanted.h then
      observed.h = ctx.var["upstream_http_" .. (wanted.h:gsub("-", "_"))]
      core.response.set_header(wanted.h, nil)
    end
    if wanted.b then
      observed.ct = ngx.header["Content-Type"]
      ctx.tollgate_capture = observe.new_capture()
    end
    ctx.tollgate_observed = observed
  end
  local headers = ctx.tollgate_response_headers
  if headers then for name, value in pairs(headers) do core.response.set_header(name, value) end end
end

function _M.body_filter(conf, ctx)
  local capture = ctx.tollgate_capture
  if capture then observe.add(capture, ngx.arg[1]) end
end

function _M.log(conf, ctx)
  local follow_up = ctx.tollgate_follow_up
  if not follow_up then return end
  local observed = ctx.tollgate_observed
  if observed and ctx.tollgate_capture then observed.b = observe.result(ctx.tollgate_capture) end
  client.complete_later(client.state(conf, "apisix"), follow_up, ngx.status, observed)
end

return _M

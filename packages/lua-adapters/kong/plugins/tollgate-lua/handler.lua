-- tollgate-lua: Tollgate's native Kong adapter. Access gathers the facts in-process (only those the
-- sidecar asked for at registration), sends them in one frame and applies the answer: an exit, or
-- the upstream header and query rewrites. Client response headers are set in header_filter (so an
-- upstream header of the same name cannot shadow them). A follow-up (chargeOn success, a metered
-- route) is handed to the sidecar from the log phase through a timer: the response is never
-- buffered. On a metered route header_filter takes the cost header off the response and
-- body_filter keeps a bounded copy of the body while every chunk passes on unchanged.
local client = require("tollgate.sidecar_client")
local observe = require("tollgate.observe")

local kong, ngx, pairs, ipairs, type = kong, ngx, pairs, ipairs, type

local TollgateLua = { PRIORITY = 905, VERSION = "0.1.0" }

local function facts(plan)
  local request = {
    m = kong.request.get_method(),
    p = kong.request.get_path(),
    q = kong.request.get_raw_query(),
  }
  local all = kong.request.get_headers()
  local headers = {}
  for _, name in ipairs(plan.headers) do headers[name] = all[name] end
  request.h = headers
  if plan.ip then request.ip = kong.client.get_forwarded_ip() end
  if plan.consumer then
    local consumer = kong.client.get_consumer()
    if consumer then request.c = { id = consumer.id, username = consumer.username, custom_id = consumer.custom_id } end
  end
  if plan.credential then
    local credential = kong.client.get_credential()
    if credential then request.cr = credential.id end
  end
  if plan.scheme then request.s = kong.request.get_scheme() end
  if plan.body then request.b, request.bt = observe.request_body() end
  return request
end

local function unavailable(state, err)
  kong.log.err("tollgate: sidecar unavailable (", state.fail_open and "failing open" or "failing closed", "): ", err)
  if state.fail_open then
    kong.ctx.plugin.response_headers = { [client.DEGRADED_HEADER] = client.DEGRADED_VALUE }
    return
  end
  local answer = client.UNAVAILABLE
  return kong.response.exit(answer.status, answer.body, answer.headers)
end

function TollgateLua:access(conf)
  local state = client.state(conf, "kong")
  local kind, answer = client.decide(state, facts)
  if not kind then return unavailable(state, answer) end
  if kind == client.EXIT then return kong.response.exit(answer.s, answer.b, answer.h) end
  local upstream = kong.service.request
  -- The engine's order: removals first, then sets.
  if answer.ur then for _, name in ipairs(answer.ur) do upstream.clear_header(name) end end
  if answer.uh then for name, value in pairs(answer.uh) do upstream.set_header(name, value) end end
  if answer.q then upstream.set_raw_query(answer.q) end
  if answer.p then upstream.set_path(answer.p) end
  local ctx = kong.ctx.plugin
  ctx.response_headers = answer.rh
  if type(answer.f) == "string" then ctx.follow_up = answer.f end
  -- Allow.observe: {h = cost header (lower-case), b = capture the body}.
  if type(answer.o) == "table" then ctx.observe = answer.o end
end

function TollgateLua:header_filter()
  local ctx = kong.ctx.plugin
  local wanted = ctx.observe
  if wanted then
    -- Only the upstream's own header counts ($upstream_http_*, as the APISIX adapter reads it):
    -- kong.service.response.get_header would also return one a plugin put on the response under
    -- that name. The client never sees it.
    local observed = {}
    if wanted.h then
      observed.h = ngx.var["upstream_http_" .. (wanted.h:gsub("-", "_"))]
      kong.response.clear_header(wanted.h)
    end
    if wanted.b then
      observed.ct = kong.response.get_header("Content-Type")
      ctx.capture = observe.new_capture()
    end
    ctx.observed = observed
  end
  local headers = ctx.response_headers
  if headers then for name, value in pairs(headers) do kong.response.set_header(name, value) end end
end

function TollgateLua:body_filter()
  local capture = kong.ctx.plugin.capture
  if capture then observe.add(capture, ngx.arg[1]) end
end

function TollgateLua:log(conf)
  local ctx = kong.ctx.plugin
  local follow_up = ctx.follow_up
  if not follow_up then return end
  local observed = ctx.observed
  if observed and ctx.capture then observed.b = observe.result(ctx.capture) end
  client.complete_later(client.state(conf, "kong"), follow_up, kong.response.get_status(), observed)
end

return TollgateLua

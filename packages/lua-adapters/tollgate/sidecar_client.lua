-- The Tollgate sidecar client shared by the Kong and APISIX Lua adapters: one frame out, one frame
-- back per request, on the worker's pipelined unix-socket connection (tollgate.sidecar_channel:
-- frames of 1 type byte + a 24-bit big-endian length + a JSON object, lua-cjson). A conf is registered once per worker and policy
-- (the sidecar answers a token and the facts to gather); an unknown token (the sidecar restarted or
-- forgot it) registers again and retries once. The sidecar down or slower than the timeouts gives
-- the policy's onFailure outcome; nothing waits longer than the configured timeouts.
local cjson = require("cjson.safe")
local channel = require("tollgate.sidecar_channel")

local ngx, type, tostring, floor, setmetatable = ngx, type, tostring, math.floor, setmetatable

local REGISTER, DECIDE, COMPLETE = 1, 2, 3
local REGISTERED, EXIT, CONTINUE, COMPLETED = 0x81, 0x82, 0x83, 0x84
local UNKNOWN_TOKEN = 0x90

local _M = { EXIT = EXIT, CONTINUE = CONTINUE }

-- One request, one answer, on the worker's shared connection. A request the sidecar said it never
-- read (it closed the connection with GOAWAY: a restart, an idle timeout) is tried once more on a
-- new one. Nothing else is: not a timeout (the policy's failure mode must come within it), not a
-- failed connect (a new one would fail the same way), and not a request whose connection broke
-- without GOAWAY (a killed sidecar may have decided and charged it: sending it again could
-- charge twice).
local function exchange(state, kind, request)
  -- When this wait gives up (ms, this host's clock; ngx.now() is the event loop turn's, never
  -- later). A decision carries it: a policy failing closed has refused the request by then, and
  -- the sidecar does not decide it after that.
  local deadline = floor(ngx.now() * 1000) + state.timeout
  if kind == DECIDE then request.d = deadline end
  local kind_back, answer, unread = channel.exchange(state, kind, request)
  if not unread then return kind_back, answer end
  -- Sent again within what is left of the same wait: never longer than the timeout in all.
  ngx.update_time()
  local left = deadline - floor(ngx.now() * 1000)
  if left <= 0 then return nil, "timeout" end
  return channel.exchange(setmetatable({ timeout = left }, { __index = state }), kind, request)
end

local function register(state)
  local kind, body = exchange(state, REGISTER, state.registration)
  if kind == REGISTERED and type(body.token) == "number" and type(body.headers) == "table" then
    state.token, state.plan = body.token, body
    return true
  end
  return nil, kind and ("registration refused: " .. tostring(body.error)) or body
end

-- Per worker: the state of each (gateway, policy, route, socket), built once from the conf.
local states = setmetatable({}, { __mode = "k" })

function _M.state(conf, gateway)
  local state = states[conf]
  if state then return state end
  local policy = cjson.decode(conf.policy)
  local store = type(policy) == "table" and type(policy.store) == "table" and policy.store or {}
  state = {
    socket = "unix:" .. conf.socket,
    connect_timeout = conf.connect_timeout,
    timeout = conf.timeout,
    keepalive_timeout = conf.keepalive_timeout,
    -- The policy decides what a request gets when its accounting is unreachable.
    fail_open = store.onFailure ~= "closed",
    registration = { policy = conf.policy, route = conf.route, gateway = gateway },
  }
  states[conf] = state
  return state
end

-- facts(plan, arg) returns the decide request's members (arg: the adapter's, e.g. its ctx, so
-- that no closure is made per request); the token is added here.
function _M.decide(state, facts, arg)
  if not state.token then
    local ok, err = register(state)
    if not ok then return nil, err end
  end
  local request = facts(state.plan, arg)
  for _ = 1, 2 do
    request.t = state.token
    local kind, body = exchange(state, DECIDE, request)
    if kind ~= UNKNOWN_TOKEN then
      if kind == EXIT or kind == CONTINUE then return kind, body end
      return nil, kind and ("unexpected answer " .. tostring(body.error or kind)) or body
    end
    state.token = nil
    local ok, err = register(state)
    if not ok then return nil, err end
  end
  return nil, "the sidecar keeps forgetting this conf"
end

-- observed: what the adapter captured of the response for a metered route ({h, b, ct}), or nil.
-- Seconds before each further attempt of a completion the sidecar did not take: a restart's gap
-- is bridged, and a completion is idempotent by its hold key (the engine answers a repeat with
-- nothing-held), so sending one again never charges twice.
local COMPLETE_RETRY_DELAYS = { 0.25, 1, 4 }

local complete

local function send_completion(state, request)
  local kind, body = exchange(state, COMPLETE, request)
  if kind ~= UNKNOWN_TOKEN then return kind, body end
  -- A restarted sidecar never issued this token. The follow-up names its account and hold, not
  -- the process: on a shared store (Redis) the new process completes it, so register again.
  state.token = nil
  local ok, err = register(state)
  if not ok then return nil, err end
  request.t = state.token
  return exchange(state, COMPLETE, request)
end

-- Also when nginx is exiting (premature): cosockets still work then, only no retry can be scheduled.
function complete(_, state, request, attempt)
  request.t = state.token
  local kind, body = send_completion(state, request)
  if kind == COMPLETED then return end
  local reason = kind and tostring(body.error or kind) or body
  local delay = COMPLETE_RETRY_DELAYS[attempt]
  if delay and ngx.timer.at(delay, complete, state, request, attempt + 1) then
    ngx.log(ngx.WARN, "tollgate: follow-up not completed yet (", reason, "), sending it again in ", delay, " s")
    return
  end
  ngx.log(ngx.ERR, "tollgate: follow-up not completed: ", reason)
end

-- Log phase: cosockets are unavailable there, so the completion runs in a zero-delay timer.
function _M.complete_later(state, follow_up, status, observed)
  local request = observed or {}
  request.f, request.st = follow_up, status
  local ok, err = ngx.timer.at(0, complete, state, request, 1)
  if not ok then ngx.log(ngx.ERR, "tollgate: cannot schedule the follow-up: ", err) end
end

-- The answer when the sidecar is unreachable and the policy fails closed (the engine's store-unavailable).
_M.UNAVAILABLE = {
  status = 503,
  headers = { ["Content-Type"] = "application/problem+json", ["Retry-After"] = "1" },
  body = cjson.encode({ title = "Service unavailable", status = 503, detail = "Usage accounting is unavailable. Retry shortly." }),
}
-- Marks an allowed request the policy let through with the sidecar unreachable (the engine's degraded marker).
_M.DEGRADED_HEADER, _M.DEGRADED_VALUE = "Tollgate-Degraded", "sidecar-unavailable"

return _M

-- One pipelined connection per nginx worker and sidecar socket, shared by every request of the
-- worker. A request numbers its frame (`i`), queues it and waits on a semaphore; a background timer
-- owns the cosocket: one light thread writes everything queued in one send (a writev), another
-- reads the answers and wakes the request each one names (the sidecar writes an answer as soon as
-- it is ready, so a slow decision delays no other). A pooled connection per request costs the
-- worker a send, a read that waits and an event loop wake-up per decision; here those are shared
-- by every request that arrives in one event loop turn, which is what bounds an nginx worker's
-- throughput (bench/results/lua.json).
--
-- A request waits at most its own timeout: a hung sidecar never holds a worker, and a late answer
-- finds nobody waiting and is dropped. A broken connection fails every request waiting on it at
-- once (their answers can no longer come) and the next request opens a new one; a request is
-- marked unread (safe to send again) only when the sidecar said so: its GOAWAY, written after the
-- answers to all it read. An idle connection is closed after keepalive_timeout, as a pool's would
-- be; an exiting worker closes it once nothing waits.
local semaphore = require("ngx.semaphore")
local cjson = require("cjson.safe")
local bit = require("bit")

local band, rshift, lshift, bor = bit.band, bit.rshift, bit.lshift, bit.bor
local char, byte = string.char, string.byte
local ngx, pairs, type, tostring = ngx, pairs, type, tostring

-- The writer's longest sleep: a wake-up (a queued frame, the connection's end) comes sooner.
local POLL_S = 1
-- Answers are small (a problem body at most); anything bigger is a broken stream.
local MAX_ANSWER_BYTES = 1024 * 1024
-- Request numbers wrap here (a JSON integer any reader keeps exactly).
local MAX_ID = 2147483647
local ERROR, GOAWAY = 0x91, 0x92

local _M = {}

-- Per worker: the open connection of each socket path.
local open = {}
-- Per worker: waiters whose semaphore is known to be at zero, ready to be used again.
local spare = {}

local function frame(kind, payload)
  local n = #payload
  return char(kind, band(rshift(n, 16), 0xff), band(rshift(n, 8), 0xff), band(n, 0xff)) .. payload
end

-- Ends a connection: every request still waiting on it gets err, and the next one opens another.
-- Those requests were never read when the sidecar's GOAWAY came (it answers all it read first).
-- Otherwise their fate is unknown, also after a refusal alone: the sidecar may have died while
-- still deciding what it read before the refused frame.
local function fail(conn, err)
  if not conn.alive then return end
  conn.alive = false
  if open[conn.path] == conn then open[conn.path] = nil end
  local unread = conn.goaway == true
  for id, waiter in pairs(conn.pending) do
    conn.pending[id] = nil
    waiter.err, waiter.unread = err, unread
    waiter.sema:post(1)
  end
  conn.waiting = 0
  conn.wake:post(1)
end

local function read_answers(conn, sock)
  local pending = conn.pending
  while true do
    -- A read timeout is keepalive_timeout: nothing waiting, the connection idled out; else the
    -- sidecar has been stuck that long, and the connection is dropped.
    local head, err = sock:receive(4)
    local payload = ""
    if head then
      local n = bor(lshift(byte(head, 2), 16), lshift(byte(head, 3), 8), byte(head, 4))
      if n > MAX_ANSWER_BYTES then
        err, head = "answer of " .. n .. " bytes exceeds the bound", nil
      elseif n > 0 then
        payload, err = sock:receive(n)
        if not payload then head = nil end
      end
    end
    if not head then return fail(conn, conn.retired or (err == "timeout" and conn.waiting == 0 and "idle") or err) end
    local kind, body = byte(head, 1), cjson.decode(payload)
    if type(body) ~= "table" then return fail(conn, "answer is not a JSON object") end
    local id = body.i
    if (kind == ERROR and id == nil) or kind == GOAWAY then
      -- The sidecar reads no more (it closes the connection, or found a frame invalid): what it
      -- read is answered (and may have been charged), then GOAWAY, then it closes. New requests go
      -- to a new connection; what is left after GOAWAY was never read, and fails to be sent again.
      conn.retired = conn.retired or (kind == GOAWAY and "closed by the sidecar") or ("refused by the sidecar: " .. tostring(body.error))
      conn.goaway = conn.goaway or kind == GOAWAY
      if open[conn.path] == conn then open[conn.path] = nil end
    end
    local waiter = id ~= nil and pending[id]
    if waiter then
      pending[id] = nil
      conn.waiting = conn.waiting - 1
      waiter.kind, waiter.body = kind, body
      waiter.sema:post(1)
    elseif type(id) ~= "number" and kind ~= ERROR and kind ~= GOAWAY then
      return fail(conn, "an answer that names no request")
    end
    if conn.exiting and conn.waiting == 0 then return fail(conn, "worker exiting") end
  end
end

local function serve(_, conn)
  local sock = ngx.socket.tcp()
  sock:settimeouts(conn.connect_timeout, conn.send_timeout, conn.idle_ms)
  local ok, err = sock:connect(conn.path)
  if not ok then return fail(conn, "connect: " .. tostring(err)) end
  local reader = ngx.thread.spawn(read_answers, conn, sock)
  while conn.alive do
    -- A retired connection sends nothing more: it waits for the sidecar to close it.
    if conn.queued == 0 or conn.retired then
      conn.writer_idle = true
      conn.wake:wait(POLL_S)
      conn.writer_idle = false
    end
    if conn.queued > 0 and conn.alive and not conn.retired then
      local frames = conn.queue
      conn.queue, conn.queued = {}, 0
      ok, err = sock:send(frames)
      if not ok then fail(conn, "send: " .. tostring(err)) end
    end
  end
  ngx.thread.kill(reader)
  sock:close()
end

-- An exiting worker waits for its running timers, so each connection ends as soon as nothing
-- waits on it. A pending timer is run at once (premature) when the worker starts exiting: one per
-- worker tells the connections.
local EXIT_WATCH_S = 3600
local watching = false

local function end_idle_connections()
  for _, conn in pairs(open) do
    conn.exiting = true
    if conn.waiting == 0 then fail(conn, "worker exiting") end
  end
end

-- A premature timer is run by nginx's shutdown itself, outside an event loop turn: a semaphore
-- posted there would only be seen at the next wake-up, so the work goes to a zero-delay timer.
local function watch_exit(premature)
  if premature then
    ngx.timer.at(0, end_idle_connections)
  else
    watching = ngx.timer.at(EXIT_WATCH_S, watch_exit) and true
  end
end

local function connection(options)
  local conn = open[options.socket]
  if conn then return conn end
  conn = {
    path = options.socket,
    connect_timeout = options.connect_timeout,
    send_timeout = options.timeout,
    idle_ms = options.keepalive_timeout,
    alive = true,
    queue = {}, queued = 0,
    -- Requests sent and not answered, by number.
    pending = {}, waiting = 0, next_id = 0,
    wake = semaphore.new(),
    writer_idle = false,
  }
  if not watching then watching = ngx.timer.at(EXIT_WATCH_S, watch_exit) and true end
  local ok, err = ngx.timer.at(0, serve, conn)
  if not ok then return nil, "cannot start the sidecar connection: " .. tostring(err) end
  conn.exiting = ngx.worker.exiting()
  open[options.socket] = conn
  return conn
end

-- Sends one request (a table, numbered here) and waits for its answer: kind and decoded body, or
-- nil, an error and whether the sidecar never read the request (then it may be sent again).
-- options: socket, timeout, connect_timeout, keepalive_timeout (ms). Needs a context that may
-- yield (access, a timer). "timeout" means the request may still be acted on later; any other
-- error means its connection broke.
function _M.exchange(options, kind, request)
  local conn, err = connection(options)
  if not conn then return nil, err end
  local id = conn.next_id % MAX_ID + 1
  request.i = id
  local payload = cjson.encode(request)
  request.i = nil
  if not payload then return nil, "request cannot be encoded" end
  local waiter = spare[#spare]
  if waiter then spare[#spare] = nil else waiter = { sema = semaphore.new() } end
  conn.next_id = id
  conn.pending[id] = waiter
  conn.waiting = conn.waiting + 1
  conn.queued = conn.queued + 1
  conn.queue[conn.queued] = frame(kind, payload)
  if conn.writer_idle then
    conn.writer_idle = false
    conn.wake:post(1)
  end
  local ok, wait_err = waiter.sema:wait(options.timeout / 1000)
  if not ok then
    -- Still pending: nobody will post it now, so it can be used again. Else its answer (or the
    -- connection's failure) came as the wait timed out, and its semaphore may hold that post.
    if conn.pending[id] ~= waiter then return nil, wait_err end
    conn.pending[id] = nil
    conn.waiting = conn.waiting - 1
    spare[#spare + 1] = waiter
    -- An exiting worker's last request: no answer will come to end the connection.
    if conn.exiting and conn.waiting == 0 then fail(conn, "worker exiting") end
    return nil, wait_err
  end
  local answer_kind, body, failure, unread = waiter.kind, waiter.body, waiter.err, waiter.unread
  waiter.kind, waiter.body, waiter.err, waiter.unread = nil, nil, nil, nil
  spare[#spare + 1] = waiter
  if failure then return nil, failure, unread end
  return answer_kind, body
end

return _M

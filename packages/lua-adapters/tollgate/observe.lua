-- What the Lua adapters read beyond a request's head, for routes whose cost depends on it: the
-- request body (bounded, from nginx's memory buffer or its temp file) and a bounded copy of the
-- upstream's response body, taken as it streams by. Chunks go to the client unchanged and as they
-- come; only the copy is kept: the first CAPTURE_HEAD bytes and the last CAPTURE_TAIL bytes (all of
-- a body of up to CAPTURE_HEAD + CAPTURE_TAIL bytes), the numbers of the engine's RESPONSE_CAPTURE.
local ngx = ngx
local io_open, concat, sub = io.open, table.concat, string.sub

local _M = {
  -- The engine's REQUEST_BODY_LIMIT and RESPONSE_CAPTURE (test/lua-observe.test.ts compares them).
  REQUEST_BODY_LIMIT = 1048576,
  CAPTURE_HEAD = 16384,
  CAPTURE_TAIL = 49152,
}
local LIMIT, HEAD, TAIL = _M.REQUEST_BODY_LIMIT, _M.CAPTURE_HEAD, _M.CAPTURE_TAIL
local WHOLE = HEAD + TAIL

-- The request body as the decide frame carries it: at most LIMIT bytes, and whether it was cut or
-- could not be read (then without a body). A body larger than client_body_buffer_size is in a temp
-- file: only its first LIMIT (+1, to know there is more) bytes are read from it.
function _M.request_body()
  ngx.req.read_body()
  local data = ngx.req.get_body_data()
  if not data then
    local path = ngx.req.get_body_file()
    if not path then return "" end
    local file, err = io_open(path, "rb")
    if not file then
      ngx.log(ngx.ERR, "tollgate: cannot read the request body file: ", err)
      return nil, true
    end
    data = file:read(LIMIT + 1) or ""
    file:close()
  end
  if #data > LIMIT then return sub(data, 1, LIMIT), true end
  return data
end

-- A response body's bounded copy: `first` holds up to WHOLE bytes from the start, `recent` the
-- chunks (each at most TAIL bytes) covering at least the last TAIL bytes, a queue from index
-- `from` to `to`.
function _M.new_capture()
  return { size = 0, first = {}, first_len = 0, recent = {}, from = 1, to = 0, recent_len = 0 }
end

function _M.add(capture, chunk)
  local n = #chunk
  if n == 0 then return end
  capture.size = capture.size + n
  if capture.first_len < WHOLE then
    local piece = n <= WHOLE - capture.first_len and chunk or sub(chunk, 1, WHOLE - capture.first_len)
    capture.first[#capture.first + 1] = piece
    capture.first_len = capture.first_len + #piece
  end
  local recent = capture.recent
  if n >= TAIL then
    capture.recent, capture.from, capture.to, capture.recent_len = { sub(chunk, -TAIL) }, 1, 1, TAIL
    return
  end
  capture.to = capture.to + 1
  recent[capture.to] = chunk
  capture.recent_len = capture.recent_len + n
  -- Drop the oldest chunks the last TAIL bytes no longer reach.
  local from = capture.from
  while capture.recent_len - #recent[from] >= TAIL do
    capture.recent_len = capture.recent_len - #recent[from]
    recent[from] = nil
    from = from + 1
  end
  capture.from = from
end

-- The copy as the complete frame carries it: {h = head, t = tail, n = size in bytes}.
function _M.result(capture)
  local first = concat(capture.first)
  if capture.size <= WHOLE then return { h = first, t = "", n = capture.size } end
  local recent = concat(capture.recent, "", capture.from, capture.to)
  return { h = sub(first, 1, HEAD), t = sub(recent, -TAIL), n = capture.size }
end

return _M

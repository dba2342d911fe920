-- TEST-ONLY: what both gateway shims load at init_by_lua: the plugin entries by name (one per nginx
-- location) and the key-auth consumers by API key, each from the JSON file the test wrote.
local cjson = require("cjson.safe")

local _M = {}

local function read_json(path)
  local file = assert(io.open(path))
  local value = assert(cjson.decode(file:read("*a")))
  file:close()
  return value
end

-- prepare(conf) runs once per entry, as the gateway checks (or completes) a conf when it loads it.
function _M.load(confs_path, consumers_path, prepare)
  local confs = read_json(confs_path)
  for _, conf in pairs(confs) do prepare(conf) end
  return confs, read_json(consumers_path)
end

return _M

-- tollgate-lua's config: the policy as `tollgate compile --target kong --kong-plugin lua` emits it,
-- the policy route the entry guards (optional), and how to reach the sidecar.
local typedefs = require("kong.db.schema.typedefs")

return {
  name = "tollgate-lua",
  fields = {
    { protocols = typedefs.protocols_http },
    { consumer_group = typedefs.no_consumer_group },
    { config = {
        type = "record",
        fields = {
          { policy = { type = "string", required = true, len_min = 2, description = "The resolved Tollgate policy (EngineConfig JSON)." } },
          { route = { type = "string", required = false, description = "The policy route this entry guards; unset: matched from method, host and path." } },
          { socket = { type = "string", required = true, default = "/run/tollgate/sidecar.sock", description = "The sidecar's unix socket path." } },
          { timeout = { type = "integer", required = true, default = 1000, between = { 1, 60000 }, description = "How long a request waits for the sidecar's answer, in ms; past it the policy's onFailure applies." } },
          { connect_timeout = { type = "integer", required = true, default = 100, between = { 1, 60000 } } },
          { keepalive_timeout = { type = "integer", required = true, default = 60000, between = { 1000, 3600000 } } },
        },
    } },
  },
}

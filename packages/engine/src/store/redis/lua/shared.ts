// Lua every script needs: integers as text, for key names (tostring would switch to exponent
// notation past 14 digits). '%d' rather than '%.0f': the same digits for the integers the engine
// deals in, and half the cost in Lua 5.1, which formats through the C long.
export const SHARED_LUA = `
local function int(n)
  return string.format('%d', n)
end
`;

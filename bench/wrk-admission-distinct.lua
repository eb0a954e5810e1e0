-- wrk script of bench/webhook.sh with BENCH_DISTINCT=1: as wrk-admission.lua,
-- but every request differs from every other one (a sequence number replaces
-- the marker SEQ000000000000 in the body: an annotation value), so no answer
-- is ever given twice and each admission goes through the whole decision.
-- Lua runs per request here, for both servers alike.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "wrk-admission.lua")

local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local base_init = init
local template
local counter = 0
function init(args)
  base_init(args)
  template = wrk.body
  if not template:find("SEQ000000000000", 1, true) then error("body has no SEQ000000000000 marker") end
end

function request()
  counter = counter + 1
  local body = template:gsub("SEQ000000000000", string.format("%07d%08d", id or 0, counter), 1)
  return wrk.format(nil, nil, nil, body)
end

-- wrk (4.1.0) script for chainsoak's load-generator bench: the bodies of a file (one JSON-RPC request per
-- line), each sent once, POSTed at a constant rate.
--   wrk -t T -c C -d D -s wrk-bodies.lua URL -- <bodies file> <rate> <T>
-- Thread i of T sends lines i+1, i+1+T, ... and stops once each has its answer (or at -d). wrk has no rate option (wrk2 has):
-- delay() holds each request until its slot in the thread's schedule (rate/T a second), so connections
-- that are free wait for the clock instead of sending back to back; a thread behind its schedule sends at
-- once. An answer that is not 2xx or carries a JSON-RPC "error" counts as failed.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } chainsoak_timespec;
int clock_gettime(int clock, chainsoak_timespec *tp);
]]
local timespec = ffi.new("chainsoak_timespec")
local CLOCK_MONOTONIC = 1
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

-- Main state: number the threads, keep them for done().
local threads = {}
function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

-- Thread state.
local bodies, interval, next_slot
local claimed, sent, answered = 0, 0, 0
-- wrk calls request() once on thread 0 before the run to check the script, and drops what it returns:
-- that call must not use up a body.
local checked
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  local count = tonumber(args[3])
  bodies = {}
  local line_no = 0
  for line in io.lines(args[1]) do
    if line ~= "" then
      if line_no % count == index then bodies[#bodies + 1] = line end
      line_no = line_no + 1
    end
  end
  interval = 1000 * count / tonumber(args[2])
  checked = index ~= 0
  failed = 0
end

function delay()
  claimed = claimed + 1
  -- Nothing left for this connection: it waits while the others' last requests are answered.
  if claimed > #bodies then return 3600000 end
  local now = now_ms()
  next_slot = next_slot or now
  local slot = next_slot
  next_slot = next_slot + interval
  if slot <= now then return 0 end
  return math.floor(slot - now)
end

function request()
  if not checked then
    checked = true
    return wrk.format("POST", nil, headers, bodies[1])
  end
  sent = sent + 1
  return wrk.format("POST", nil, headers, bodies[sent])
end

function response(status, _, body)
  if status < 200 or status > 299 or string.find(body, '"error"', 1, true) then failed = failed + 1 end
  answered = answered + 1
  if answered == #bodies then wrk.thread:stop() end
end

function done(summary)
  local failed_answers = 0
  for _, thread in ipairs(threads) do failed_answers = failed_answers + thread:get("failed") end
  local e = summary.errors
  io.write(string.format("chainsoak-wrk answered=%d failed=%d transport=%d duration_us=%d\n",
    summary.requests, failed_answers, e.connect + e.read + e.write + e.timeout, summary.duration))
end

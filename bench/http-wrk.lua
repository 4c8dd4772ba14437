-- wrk script for `npm run bench:http`: POSTs one prepared JSON body per request, cycling through
-- the file given after `--` (one body per line), from the index given third. Run with one thread.
-- Prints a JSON summary line at the end.
--
-- With "timed" as the fourth argument it also times each request actually sent. wrk's own
-- percentiles add samples for the requests a client sending at a steady rate would have sent while
-- a slow answer was awaited (its coordinated-omission correction), so one stall of 200 ms weighs as
-- dozens of requests. Here each request carries its number as X-Request-Id, which the servers
-- echo, and LuaJIT's FFI reads the monotonic clock when it is sent and when its answer is
-- complete. Reading every answer's headers costs the client time, a tenth or more of the bare
-- route's throughput, so the throughput rounds run without it.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local now = ffi.new("bench_timespec")
local function micros()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now)
  return tonumber(now.tv_sec) * 1000000 + tonumber(now.tv_nsec) / 1000
end

local bodies = {}
local index = 0
local timed = false
local sequence = 0
local sentAt = {}
-- Raw latencies, counted in 10 µs buckets; read by done() through the thread object.
raw = {}
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  -- args[3]: where the previous runs stopped, so a context is never sent twice.
  index = tonumber(args[3] or "0")
  wrk.headers["Content-Type"] = "application/json"
  if args[2] and args[2] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[2]
  end
  timed = args[4] == "timed"
  -- Without a response function wrk neither parses nor hands over the answers' headers.
  if not timed then response = nil end
end

function request()
  index = index + 1
  if timed then
    sequence = sequence + 1
    local id = tostring(sequence)
    wrk.headers["X-Request-Id"] = id
    sentAt[id] = micros()
  end
  return wrk.format("POST", nil, nil, bodies[(index % #bodies) + 1])
end

function response(status, headers, body)
  local id = headers["x-request-id"]
  local at = id and sentAt[id]
  if at then
    sentAt[id] = nil
    local bucket = math.floor((micros() - at) / 10)
    raw[bucket] = (raw[bucket] or 0) + 1
  end
end

local function rawPercentile(counts, total, p)
  local buckets = {}
  for bucket in pairs(counts) do buckets[#buckets + 1] = bucket end
  table.sort(buckets)
  local rank, seen = math.ceil(total * p / 100), 0
  for _, bucket in ipairs(buckets) do
    seen = seen + counts[bucket]
    if seen >= rank then return bucket * 10 / 1000 end
  end
  return 0
end

function done(summary, latency, requests)
  local counts, total = {}, 0
  for _, thread in ipairs(threads) do
    for bucket, count in pairs(thread:get("raw")) do
      counts[bucket] = (counts[bucket] or 0) + count
      total = total + count
    end
  end
  -- errors.status counts answers outside 2xx/3xx.
  local non = summary.errors.status
  local ok = summary.requests - non
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('{"requests":%d,"seconds":%f,"p50":%f,"p99":%f,"rawP50":%f,"rawP99":%f,"timed":%d,"ok":%d,"other":%d,"errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    rawPercentile(counts, total, 50), rawPercentile(counts, total, 99), total, ok, non, errors))
end

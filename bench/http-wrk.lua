-- wrk script for `npm run bench:http`: POSTs one prepared JSON body per request, cycling through
-- the file given after `--` (one body per line), from the index given third. Run with one thread.
-- Prints a JSON summary line at the end.
local bodies = {}
local index = 0
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
end

function request()
  index = index + 1
  return wrk.format("POST", nil, nil, bodies[(index % #bodies) + 1])
end

function done(summary, latency, requests)
  -- errors.status counts answers outside 2xx/3xx.
  local non = summary.errors.status
  local ok = summary.requests - non
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('{"requests":%d,"seconds":%f,"p50":%f,"p99":%f,"ok":%d,"other":%d,"errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, ok, non, errors))
end

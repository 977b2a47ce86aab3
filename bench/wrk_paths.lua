-- wrk script for bench/load.py: GET paths read from a file, one per line, with Accept-Encoding: gzip.
-- Arguments: <file> random <seed>  (each request a path drawn at random)
--            <file> fresh <offset> (each path once, in order from <offset>, across the connections:
--                                   run wrk with one thread so that they share the counter)
-- Prints one line: RESULT <requests> <seconds> <p50 ms> <p95 ms> <non-2xx/3xx> <socket errors> <paths taken>
local paths, mode, offset = {}, "random", 0
taken = 0  -- a global: done() reads it from each thread (thread:get)
local threads, headers = {}, {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  for name, value in pairs(wrk.headers) do headers[name] = value end  -- Host and the -H headers
  headers["Accept-Encoding"] = "gzip"
  mode = args[2] or "random"
  if mode == "fresh" then offset = tonumber(args[3] or "0") else math.randomseed(tonumber(args[3] or "12")) end
end

function request()
  local path
  if mode == "fresh" then
    path = paths[(offset + taken) % #paths + 1]
  else
    path = paths[math.random(#paths)]
  end
  taken = taken + 1
  return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
  local all = 0
  for _, thread in ipairs(threads) do all = all + thread:get("taken") end
  local e = summary.errors
  io.write(string.format("RESULT %d %.6f %.4f %.4f %d %d %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, e.status, e.connect + e.read + e.write + e.timeout, all))
end

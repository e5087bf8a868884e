-- wrk script of the e-PUPNS benchmarks (benchmarks/run.py writes the request file).
--
--   wrk -t1 -c4 -d15s -s benchmarks/wrk/scenario.lua http://127.0.0.1:8765 -- requests.tsv
--
-- requests.tsv: one request per line, tab-separated: METHOD, path, Cookie header (or "-"),
-- body (or "-"; form-encoded). Each connection cycles through the lines from its own offset,
-- so concurrent requests use different NIPs, users and records. Every request carries an
-- X-Bench-Scenario header (the file name) for the server-side timing in gunicorn's access log.
-- done() prints one JSON line: latency percentiles (microseconds), requests, duration, errors,
-- and the count of each HTTP status.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in string.gmatch(line .. "\t", "([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local path = args[1]
  scenario = path:match("([^/]+)%.tsv$") or path
  requests = {}
  for line in io.lines(path) do
    if line ~= "" then
      local f = split(line)
      local headers = { ["X-Bench-Scenario"] = scenario }
      if f[3] ~= "-" then headers["Cookie"] = f[3] end
      local body = nil
      if f[4] ~= nil and f[4] ~= "-" then
        body = f[4]
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      table.insert(requests, wrk.format(f[1], f[2], headers, body))
    end
  end
  -- Threads start at different places in the list.
  index = ((thread_id or 1) - 1) * 7919 % #requests
  statuses = {}
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do
      counts[code] = (counts[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', code, n))
  end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.mean, latency.max,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, table.concat(parts, ", ")))
end

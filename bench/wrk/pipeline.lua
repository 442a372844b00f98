-- wrk script for bench/hello.sh: HTTP/1.1 pipelining. Each connection sends WRK_PIPELINE
-- (default 16) GET requests in one write and waits for all the responses before the next
-- batch; wrk counts every response. Results are printed as report.lua does.
local depth = tonumber(os.getenv("WRK_PIPELINE") or "16")

init = function(args)
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format("GET", "/")
  end
  pipelined = table.concat(batch)
end

request = function()
  return pipelined
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end

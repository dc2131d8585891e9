-- The mixed query load of scripts/load.sh and scripts/load-while-indexing.sh (wrk -s):
-- one and two terms, a phrase, a prefix, filters, date sort, plain prose, facets, health.
local paths = {
  "/api/search?q=attention",
  "/api/search?q=sparse+attention",
  "/api/search?q=%22language+models%22",
  "/api/search?q=reason*",
  "/api/search?q=reasoning&topic=/arxiv/cs&since=2025-06-01",
  "/api/search?q=diffusion&sort=date",
  "/api/search?q=quantum+error+correction&recency_weight=0",
  "/api/search?plain=1&q=Large+language+models+can+reason+about+graphs%3A+a+study",
  "/api/facets?topic=/arxiv",
  "/health",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("requests: %d in %.1f s (%.0f/s); non-2xx: %d; socket errors: connect %d, read %d, write %d, timeout %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  io.write(string.format("latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

#!/usr/bin/env bash
# Drives `paperdex serve` on loopback with a bounded mixed query load and prints requests/s
# and latency percentiles. Needs wrk (Debian: apt-get install wrk).
#
#   scripts/load.sh [INDEX_DIR] [SECONDS] [CONNECTIONS]
#
# INDEX_DIR defaults to a fresh index of corpus-samples/; pass the index of a real corpus
# (e.g. the arXiv listings) for meaningful figures.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

index=${1:-}
seconds=${2:-20}
connections=${3:-16}
port=${PAPERDEX_LOAD_PORT:-7790}
bin=target/release/paperdex
cargo build --release --quiet

if [ -z "$index" ]; then
    index=$(mktemp -d)
    "$bin" index --index "$index" corpus-samples/ >/dev/null
fi

"$bin" serve --index "$index" --addr "127.0.0.1:$port" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

# A mixed load: one and two terms, a phrase, a prefix, filters with facets, date sort.
script=$(mktemp)
cat > "$script" <<'LUA'
local paths = {
  "/api/search?q=attention",
  "/api/search?q=sparse+attention",
  "/api/search?q=%22language+models%22",
  "/api/search?q=reason*",
  "/api/search?q=reasoning&topic=/arxiv/cs&since=2025-06-01",
  "/api/search?q=diffusion&sort=date",
  "/api/search?q=quantum+error+correction&recency_weight=0",
  "/api/facets?topic=/arxiv",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("requests: %d in %.1f s, %.0f req/s, errors: %d non-2xx, %d socket\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("p%d: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
LUA
echo "paperdex load: $connections connections for ${seconds}s against $("$bin" stats --index "$index" --json | grep '"papers"' | tr -d ' ,')"
wrk -t2 -c"$connections" -d"${seconds}s" -s "$script" "http://127.0.0.1:$port" | tail -4
rm -f "$script"

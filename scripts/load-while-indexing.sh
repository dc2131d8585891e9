#!/usr/bin/env bash
# Reliability load run (docs/RELIABILITY.md): `paperdex serve` answers a mixed query load from
# 64 connections for 60 s on loopback while a separate `paperdex index` process adds 20,000
# papers to the index it serves. Prints requests, non-2xx answers, socket errors (dropped
# connections), latency percentiles, the server's peak RSS, and the paper counts before and
# after. Needs wrk (Debian: apt-get install wrk).
#
#   scripts/load-while-indexing.sh [LISTINGS.jsonl.gz] [SECONDS] [CONNECTIONS]
#
# The listings default to ../shared/data/arxiv/listings-2025-2026.jsonl.gz: all but the last
# 20,000 are indexed first, the last 20,000 during the load. Without that file the papers
# come from `paperdex gen-corpus` seeded with the bundled listings sample.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
listings=${1:-../shared/data/arxiv/listings-2025-2026.jsonl.gz}
seconds=${2:-60}
connections=${3:-64}
port=${PAPERDEX_LOAD_PORT:-7791}
bin=target/release/paperdex
cargo build --release --quiet
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

if [ -f "$listings" ]; then
    zcat -f "$listings" > "$work/all.jsonl"
else
    echo "load: $listings is missing; generating 60,000 papers from corpus-samples/ instead" >&2
    "$bin" gen-corpus 60000 --from corpus-samples/arxiv-listings-sample.jsonl -o "$work/all.jsonl" >/dev/null
fi
total=$(wc -l < "$work/all.jsonl")
head -n $((total - 20000)) "$work/all.jsonl" > "$work/base.jsonl"
tail -n 20000 "$work/all.jsonl" > "$work/added.jsonl"
"$bin" index --index "$work/index" "$work/base.jsonl" >/dev/null
before=$("$bin" stats --index "$work/index" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['papers'])")

"$bin" serve --index "$work/index" --addr "127.0.0.1:$port" 2>/dev/null &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

# Server RSS every 0.5 s.
( while kill -0 $server 2>/dev/null; do grep VmRSS /proc/$server/status | awk '{print $2}'; sleep 0.5; done ) > "$work/rss.log" &


echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u '+%F %H:%M UTC')"
echo "index: $before papers; load: $connections connections, ${seconds} s; adding 20000 papers from 5 s in"
( sleep 5; start=$(date +%s); "$bin" index --index "$work/index" "$work/added.jsonl" > "$work/index.log" 2>&1; echo "exit=$? after $(( $(date +%s) - start )) s" >> "$work/index.log" ) &
indexer=$!
wrk -t2 -c"$connections" -d"${seconds}s" --timeout 10s -s scripts/mixed-load.lua "http://127.0.0.1:$port" | sed -n '/^requests:/,$p'
wait $indexer
after=$(curl -sf "http://127.0.0.1:$port/health" | python3 -c "import json,sys; print(json.load(sys.stdin)['papers'])")
echo "indexer: $(tail -n 1 "$work/index.log"); $(head -n 1 "$work/index.log")"
echo "papers served: $before before, $after after (expected $((before + 20000)) if all 20000 are new)"
echo "server peak RSS: $(sort -n "$work/rss.log" | tail -n 1 | awk '{printf "%.0f MB", $1/1024}') (first sample $(head -n 1 "$work/rss.log" | awk '{printf "%.0f MB", $1/1024}'))"

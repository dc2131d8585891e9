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

echo "paperdex load: $connections connections for ${seconds}s against $("$bin" stats --index "$index" --json | grep '"papers"' | tr -d ' ,')"
wrk -t2 -c"$connections" -d"${seconds}s" -s scripts/mixed-load.lua "http://127.0.0.1:$port" | sed -n '/^requests:/,$p'

#!/usr/bin/env bash
# Side by side, one run, same machine: index the same real arXiv listings and run the same
# 200 queries with paperdex, a plain tantivy en_stem pipeline (benches/peers.rs) and SQLite
# FTS5 (porter, bm25(), Python's sqlite3). Prints docs/s, MB/s, peak RSS, index size, query
# p50/p99 per engine and the ratios paperdex/peer.
#
#   scripts/compare-peers.sh [LISTINGS.jsonl.gz]
set -euo pipefail
cd "$(dirname "$0")/.."
listings=${1:-../shared/data/arxiv/listings-2025-2026.jsonl.gz}
if [ ! -f "$listings" ]; then
    echo "compare-peers: $listings is missing (it lives in ../shared/data; pass another listings file)" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 200 queries: two neighbouring words from the titles of evenly spaced records.
python3 - "$listings" "$work/queries.txt" <<'PY'
import gzip, json, re, sys
src, out = sys.argv[1], sys.argv[2]
opener = gzip.open if src.endswith(".gz") else open
titles = [json.loads(l)["title"] for l in opener(src, "rt", encoding="utf-8")]
step = max(1, len(titles) // 200)
with open(out, "w") as f:
    for t in titles[::step][:200]:
        words = [w.lower() for w in re.findall(r"[A-Za-z]{4,}", t)]
        if len(words) >= 2:
            f.write(f"{words[0]} {words[1]}\n")
        elif words:
            f.write(words[0] + "\n")
PY

cargo bench --bench peers --no-run --quiet 2>/dev/null
peers=$(ls -t target/release/deps/peers-* | grep -v '\.d$' | head -1)

run() { # name, command...: the engine's JSON line plus its peak RSS
    local name=$1; shift
    /usr/bin/time -f "%M" -o "$work/$name.rss" "$@" > "$work/$name.json"
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d['peak_rss_mb']=int(open(sys.argv[2]).read().split()[-1])/1024; print(json.dumps(d))" \
        "$work/$name.json" "$work/$name.rss" > "$work/$name.full.json"
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)" >&2
run paperdex "$peers" paperdex "$listings" "$work/queries.txt" "$work/paperdex-index"
run tantivy "$peers" tantivy "$listings" "$work/queries.txt" "$work/tantivy-index"
run sqlite python3 scripts/peer_sqlite.py "$listings" "$work/queries.txt" "$work/fts5.db"

python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
rows = [json.load(open(f"{w}/{n}.full.json")) for n in ("paperdex", "tantivy", "sqlite")]
print("| engine | docs | index s | docs/s | MB/s | peak RSS MB | index MB | p50 ms | p99 ms |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['engine']} | {r['docs']} | {r['index_secs']:.1f} | {r['docs_per_sec']:.0f} | {r['mb_per_sec']:.1f} | "
          f"{r['peak_rss_mb']:.0f} | {r['index_bytes']/1e6:.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} |")
p = rows[0]
for peer in rows[1:]:
    print(f"paperdex/{peer['engine']}: indexing speed {p['docs_per_sec']/peer['docs_per_sec']:.2f}x, "
          f"peak RSS {p['peak_rss_mb']/peer['peak_rss_mb']:.2f}x, index size {p['index_bytes']/peer['index_bytes']:.2f}x, "
          f"query p50 {p['p50_ms']/peer['p50_ms']:.2f}x, p99 {p['p99_ms']/peer['p99_ms']:.2f}x (lower is better for all but speed)")
PY

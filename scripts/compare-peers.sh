#!/usr/bin/env bash
# Side by side, one run, same machine: index the same real arXiv listings and run the same
# 200 queries with paperdex, a plain tantivy en_stem pipeline (benches/peers.rs) and SQLite
# FTS5 (porter, bm25(), Python's sqlite3). Prints docs/s, MB/s, peak RSS, index size, query
# p50/p99 per engine and the ratios paperdex/peer.
#
#   scripts/compare-peers.sh [--runs N] [LISTINGS.jsonl.gz]
#
# With --runs N the three engines run in turn N times (paperdex, tantivy, FTS5, paperdex, ...),
# so a shared VM's slow minutes fall on all of them; every run's rows are printed, then the
# median of each figure and of each run's ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=1
if [ "${1:-}" = "--runs" ]; then
    runs=${2:?--runs needs a number}
    shift 2
fi
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

run() { # name, run number, command...: the engine's JSON line plus its peak RSS
    local name=$1 n=$2; shift 2
    rm -rf "$work/index"
    /usr/bin/time -f "%M" -o "$work/$name.rss" "$@" > "$work/$name.json"
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d['peak_rss_mb']=int(open(sys.argv[2]).read().split()[-1])/1024; print(json.dumps(d))" \
        "$work/$name.json" "$work/$name.rss" > "$work/$name.$n.full.json"
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F), $runs run(s)" >&2
for n in $(seq "$runs"); do
    run paperdex "$n" "$peers" paperdex "$listings" "$work/queries.txt" "$work/index"
    run tantivy "$n" "$peers" tantivy "$listings" "$work/queries.txt" "$work/index"
    run sqlite "$n" python3 scripts/peer_sqlite.py "$listings" "$work/queries.txt" "$work/index"
done

python3 - "$work" "$runs" <<'PY'
import json, statistics, sys
w, runs = sys.argv[1], int(sys.argv[2])
engines = ("paperdex", "tantivy", "sqlite")
by_run = [{e: json.load(open(f"{w}/{e}.{n}.full.json")) for e in engines} for n in range(1, runs + 1)]
figures = ("index_secs", "docs_per_sec", "mb_per_sec", "peak_rss_mb", "index_bytes", "p50_ms", "p99_ms")

def row(label, r):
    print(f"| {label} | {r['docs']} | {r['index_secs']:.1f} | {r['docs_per_sec']:.0f} | {r['mb_per_sec']:.1f} | "
          f"{r['peak_rss_mb']:.0f} | {r['index_bytes']/1e6:.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} |")

def ratios(p, peer):
    return {"indexing speed": p["docs_per_sec"] / peer["docs_per_sec"],
            "peak RSS": p["peak_rss_mb"] / peer["peak_rss_mb"],
            "index size": p["index_bytes"] / peer["index_bytes"],
            "query p50": p["p50_ms"] / peer["p50_ms"],
            "query p99": p["p99_ms"] / peer["p99_ms"]}

print("| engine | docs | index s | docs/s | MB/s | peak RSS MB | index MB | p50 ms | p99 ms |")
print("|---|---|---|---|---|---|---|---|---|")
for n, rows in enumerate(by_run, 1):
    for e in engines:
        row(e if runs == 1 else f"{e} (run {n})", rows[e])
if runs > 1:
    for e in engines:
        med = {f: statistics.median(rows[e][f] for rows in by_run) for f in figures}
        row(f"{e} (median)", {"docs": by_run[0][e]["docs"], **med})
for peer in engines[1:]:
    per_run = [ratios(rows["paperdex"], rows[peer]) for rows in by_run]
    parts = []
    for k in per_run[0]:
        values = [r[k] for r in per_run]
        text = f"{k} {statistics.median(values):.2f}x"
        if runs > 1:
            text += " (" + ", ".join(f"{v:.2f}" for v in values) + ")"
        parts.append(text)
    label = "median of the runs' ratios" if runs > 1 else "ratios"
    print(f"paperdex/{by_run[0][peer]['engine']}, {label}: " + ", ".join(parts)
          + " (higher is better for speed, lower for the rest)")
PY

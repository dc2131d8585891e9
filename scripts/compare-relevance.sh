#!/usr/bin/env bash
# Relevance side by side, one run: index BEIR SciFact and score the train split with paperdex
# (its defaults, plain mode, as `paperdex eval` runs it), plain tantivy BM25 (en_stem, k1 1.2,
# b 0.75, title + abstract; benches/peers.rs) and SQLite FTS5 (porter, bm25(), terms OR-ed).
# Every engine writes a TREC run; `paperdex eval --score` scores all three with the same code.
#
#   scripts/compare-relevance.sh [SCIFACT_DIR] [QRELS]     (schema overrides: PAPERDEX_SCHEMA=FILE, read by paperdex itself)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/scifact}
qrels=${2:-$data/qrels/train.tsv}
for f in "$data/corpus.jsonl" "$data/queries.jsonl" "$qrels"; do
    if [ ! -f "$f" ]; then
        echo "compare-relevance: $f is missing (SciFact lives in ../shared/data/scifact; pass another BEIR directory)" >&2
        exit 1
    fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
cargo bench --bench peers --no-run --quiet 2>/dev/null
peers=$(ls -t target/release/deps/peers-* | grep -v '\.d$' | head -1)
pd=(target/release/paperdex --index "$work/paperdex")

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)" >&2
"${pd[@]}" index --format beir "$data/corpus.jsonl" >&2
"${pd[@]}" eval --queries "$data/queries.jsonl" --qrels "$qrels" --run "$work/paperdex.run" --json > /dev/null
"$peers" tantivy-run "$data/corpus.jsonl" "$data/queries.jsonl" "$work/tantivy.run" "$work/tantivy"
python3 scripts/peer_sqlite_run.py "$data/corpus.jsonl" "$data/queries.jsonl" "$work/sqlite-fts5.run" "$work/fts5.db"

echo "| engine | nDCG@10 | MRR@10 | Recall@100 | MAP | queries |"
echo "|---|---|---|---|---|---|"
for engine in paperdex tantivy sqlite-fts5; do
    target/release/paperdex eval --queries "$data/queries.jsonl" --qrels "$qrels" \
        --score "$work/$engine.run" --json |
        python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"| $engine | {r['ndcg@10']:.4f} | {r['mrr@10']:.4f} | {r['recall@100']:.4f} | {r['map']:.4f} | {r['queries']} |\")"
done

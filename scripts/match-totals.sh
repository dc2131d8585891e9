#!/usr/bin/env bash
# Totals of 20 two- and three-word queries under `--match any` (BM25 over any word, the
# default before issue 21) and the default `auto` (every word; most of them when fewer than
# 10 papers have all), with the first hit of each, side by side.
#
#   scripts/match-totals.sh INDEX_DIR [PAPERDEX_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
index=${1:?usage: scripts/match-totals.sh INDEX_DIR [PAPERDEX_BINARY]}
bin=${2:-target/release/paperdex}
[ -x "$bin" ] || cargo build --release --quiet
queries=(
    "sparse attention" "diffusion model" "large language models" "graph neural network"
    "reinforcement learning" "speculative decoding" "mixture of experts" "retrieval augmented generation"
    "vision transformer" "quantum error correction" "kv cache compression" "protein structure prediction"
    "federated learning privacy" "dark matter halo" "chain of thought" "instruction tuning"
    "multimodal reasoning" "time series forecasting" "code generation benchmark" "black hole merger"
)
printf '%-32s %8s %8s %-5s  %s\n' query any auto match "first hit (auto)"
for q in "${queries[@]}"; do
    any=$("$bin" --index "$index" search --json --no-snippets --limit 1 --match any -- "$q" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
    "$bin" --index "$index" search --json --no-snippets --limit 1 -- "$q" |
        python3 -c 'import json,sys
r=json.load(sys.stdin); q=sys.argv[1]; any_=sys.argv[2]
title=r["hits"][0]["title"][:48] if r["hits"] else "-"
total, matched = r["total"], r["matched"]
print(f"{q:<32} {any_:>8} {total:>8} {matched:<5}  {title}")' "$q" "$any"
done

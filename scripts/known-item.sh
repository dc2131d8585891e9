#!/usr/bin/env bash
# Known-item search: 500 listings sampled with a fixed seed; their exact titles, and the
# titles with one word dropped and one other word misspelled, are searched over an index of
# all the listings: as plain words matching any word (as `paperdex eval` runs queries), and as
# the search box reads them (`--as-typed --match auto`: every word first). Prints the share
# of exact titles found at rank 1 and of damaged titles found in the top 3.
#
#   scripts/known-item.sh [LISTINGS.jsonl.gz]          (schema overrides: PAPERDEX_SCHEMA=FILE)
set -euo pipefail
cd "$(dirname "$0")/.."
listings=${1:-../shared/data/arxiv/listings-2025-2026.jsonl.gz}
if [ ! -f "$listings" ]; then
    echo "known-item: $listings is missing (it lives in ../shared/data; pass another listings file)" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$listings" "$work" <<'PY'
import gzip, json, random, re, sys
src, work = sys.argv[1], sys.argv[2]
opener = gzip.open if src.endswith(".gz") else open
records = [json.loads(l) for l in opener(src, "rt", encoding="utf-8")]
rng = random.Random(20261123)
sample = rng.sample(records, 500)

def misspell(word):
    # One edit inside the word: swap two neighbouring letters, or replace one.
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + rng.choice("aeiourstn".replace(word[i], "")) + word[i + 1:]

def damaged(title):
    words = title.split()
    if len(words) < 3:
        return title
    drop = rng.randrange(len(words))
    rest = [w for i, w in enumerate(words) if i != drop]
    candidates = [i for i, w in enumerate(rest) if re.fullmatch(r"[A-Za-z]{4,}", w)]
    if candidates:
        j = rng.choice(candidates)
        rest[j] = misspell(rest[j])
    return " ".join(rest)

with open(f"{work}/exact.tsv", "w") as e, open(f"{work}/damaged.tsv", "w") as d, open(f"{work}/qrels.tsv", "w") as q:
    for n, r in enumerate(sample):
        title = " ".join(r["title"].split())
        e.write(f"k{n}\t{title}\n")
        d.write(f"k{n}\t{damaged(title)}\n")
        q.write(f"k{n}\t{r['id']}\t1\n")
PY

cargo build --release --quiet
pd=(target/release/paperdex --index "$work/index")
"${pd[@]}" index "$listings" >&2
rate() { # queries file, cutoff rank, eval flags: share of queries whose paper is within the cutoff
    "${pd[@]}" eval --queries "$1" --qrels "$work/qrels.tsv" --per-query --json "${@:3}" |
        python3 -c "import json,sys; r=json.load(sys.stdin)['per_query']; k=$2; print(f'{sum(1 for q in r if q[\"mrr@10\"] >= 1/k - 1e-9)}/{len(r)} = {100*sum(1 for q in r if q[\"mrr@10\"] >= 1/k - 1e-9)/len(r):.1f}%')"
}
echo "plain words, any word (eval's reading):"
echo "  exact title at rank 1: $(rate "$work/exact.tsv" 1)"
echo "  one word dropped, one misspelled, in the top 3: $(rate "$work/damaged.tsv" 3)"
echo "as typed in the search box (--as-typed --match auto):"
echo "  exact title at rank 1: $(rate "$work/exact.tsv" 1 --as-typed --match auto)"
echo "  one word dropped, one misspelled, in the top 3: $(rate "$work/damaged.tsv" 3 --as-typed --match auto)"

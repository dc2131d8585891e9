#!/usr/bin/env python3
"""SQLite FTS5 side of scripts/compare-peers.sh: porter tokenizer, bm25(), terms OR-ed.

    peer_sqlite.py LISTINGS.jsonl[.gz] QUERIES.txt DB_PATH   -> one JSON line of figures
"""
import gzip
import json
import os
import re
import sqlite3
import sys
import time


def main():
    listings, queries_path, db_path = sys.argv[1:4]
    opener = gzip.open if listings.endswith(".gz") else open
    with opener(listings, "rb") as f:
        input_bytes = sum(len(line) for line in f)
    if os.path.exists(db_path):
        os.remove(db_path)
    start = time.perf_counter()
    db = sqlite3.connect(db_path)
    db.execute("CREATE VIRTUAL TABLE papers USING fts5(id UNINDEXED, title, abstract, tokenize='porter')")
    docs = 0
    with opener(listings, "rt", encoding="utf-8") as f:
        batch = []
        for line in f:
            r = json.loads(line)
            batch.append((r.get("id"), r.get("title") or "", r.get("abstract") or ""))
            if len(batch) == 5000:
                db.executemany("INSERT INTO papers VALUES (?, ?, ?)", batch)
                docs += len(batch)
                batch = []
        db.executemany("INSERT INTO papers VALUES (?, ?, ?)", batch)
        docs += len(batch)
    db.commit()
    index_secs = time.perf_counter() - start
    queries = [q.strip() for q in open(queries_path, encoding="utf-8") if q.strip()]

    def search(q):
        terms = re.findall(r"\w+", q)
        match = " OR ".join('"%s"' % t for t in terms)
        rows = db.execute(
            "SELECT id, title, abstract FROM papers WHERE papers MATCH ? ORDER BY bm25(papers) LIMIT 10", (match,)
        ).fetchall()
        return rows

    for q in queries[:20]:
        search(q)
    times = []
    for q in queries:
        t = time.perf_counter()
        search(q)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    pct = lambda p: times[min(len(times) - 1, int(len(times) * p))]
    db.close()
    print(json.dumps({
        "engine": "sqlite-fts5", "docs": docs, "index_secs": index_secs, "docs_per_sec": docs / index_secs,
        "input_mb": input_bytes / 1e6, "mb_per_sec": input_bytes / 1e6 / index_secs,
        "index_bytes": os.path.getsize(db_path), "queries": len(times), "p50_ms": pct(0.5), "p99_ms": pct(0.99),
    }))


if __name__ == "__main__":
    main()

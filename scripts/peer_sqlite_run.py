#!/usr/bin/env python3
"""SQLite FTS5 side of scripts/compare-relevance.sh: a BEIR corpus in an FTS5 table (porter
tokenizer), each query's words quoted and OR-ed, ranked by bm25(), top 1000 as a TREC run.

    peer_sqlite_run.py CORPUS.jsonl QUERIES.jsonl RUN_OUT DB_PATH
"""
import json
import os
import re
import sqlite3
import sys


def main():
    corpus, queries_path, run_path, db_path = sys.argv[1:5]
    if os.path.exists(db_path):
        os.remove(db_path)
    db = sqlite3.connect(db_path)
    db.execute("CREATE VIRTUAL TABLE papers USING fts5(id UNINDEXED, title, abstract, tokenize='porter')")
    with open(corpus, encoding="utf-8") as f:
        rows = []
        for line in f:
            r = json.loads(line)
            rows.append((str(r["_id"]), r.get("title") or "", r.get("text") or ""))
    db.executemany("INSERT INTO papers VALUES (?, ?, ?)", rows)
    db.commit()
    with open(queries_path, encoding="utf-8") as f, open(run_path, "w") as out:
        for line in f:
            q = json.loads(line)
            terms = re.findall(r"\w+", q["text"])
            if not terms:
                continue
            match = " OR ".join('"%s"' % t for t in terms)
            hits = db.execute(
                "SELECT id, bm25(papers) FROM papers WHERE papers MATCH ? ORDER BY bm25(papers) LIMIT 1000",
                (match,),
            ).fetchall()
            for rank, (doc, score) in enumerate(hits, 1):
                # bm25() is lower-is-better; a run file wants higher-is-better.
                out.write(f"{q['_id']} Q0 {doc} {rank} {-score} sqlite-fts5\n")
    db.close()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Hostile load on a local paperdex server: do normal searches keep answering while costly
ones arrive? (docs/RELIABILITY.md, issue 22 item 1.)

Starts `paperdex serve` on a free loopback port over INDEX, runs HOSTILE clients that send
costly queries back to back (prefixes, fuzzy terms, slop phrases, pasted passages, each with
1,000 hits and facets) and one normal client that sends two-word searches one after another,
for SECONDS; then prints, per client kind, the status codes and latency percentiles, and the
server's peak RSS. Bounded in time (at most 300 s) and count (at most 64 hostile clients),
and it only ever talks to 127.0.0.1.

    scripts/hostile-load.py [--index DIR] [--seconds 30] [--hostile 16] [--binary PATH]

Without --index it indexes ../shared/data/arxiv/listings-2025-2026.jsonl.gz (115,671
listings) into a temporary directory when that file is there, else the bundled
corpus-samples/ (small: the figures then say little), and says which.
"""

import argparse
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LISTINGS = os.path.join(ROOT, "..", "shared", "data", "arxiv", "listings-2025-2026.jsonl.gz")

TWO = ["".join(p) for p in itertools.product("abcdefghijklmnopqrstuvwxyz0123456789", repeat=2)]
COMMON = "the of and in to a is for we with on that by this are model learning data method"
HOSTILE = [
    " ".join(t + "~2" for t in TWO[:819]),  # issue 22: 819 two-character fuzzy terms
    " ".join(c + "*" for c in "abcdefgh"),  # eight one-letter prefixes
    " OR ".join(c + "*" for c in "abcdefghijklmnopqrstuvw"),
    " ".join(f'"{COMMON} {w}"~1000' for w in ["for", "with", "on", "by", "we", "that", "this", "are"]),
    '"the of and in to a is for"~1000',
    " ".join(w + "~2" for w in ["transformer", "attention", "language", "learning",
                                "network", "optimization", "diffusion", "reinforcement"]),
    (COMMON + " ") * 20,  # a passage of common words
]
NORMAL = [
    "sparse attention", "graph neural networks", "protein folding", "diffusion models",
    "reinforcement learning", "quantum error correction", "large language models",
    "speech recognition", "federated learning", "dark matter", "knowledge distillation",
    "image segmentation", "causal inference", "retrieval augmented generation",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, query, extra, timeout):
    path = "/api/search?" + urllib.parse.urlencode({"q": query, **extra})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    start = time.perf_counter()
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        status = resp.status
    except (OSError, http.client.HTTPException) as e:
        status = type(e).__name__
    finally:
        conn.close()
    return status, (time.perf_counter() - start) * 1000


def client(port, queries, extra, until, out, timeout):
    for q in itertools.cycle(queries):
        if time.time() >= until:
            return
        out.append(get(port, q, extra, timeout))


def peak_rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def summary(name, results):
    codes = {}
    for status, _ in results:
        codes[status] = codes.get(status, 0) + 1
    ms = sorted(t for s, t in results if s == 200)
    line = f"{name:8} {len(results):6} requests  " + "  ".join(f"{k}: {v}" for k, v in sorted(codes.items(), key=str))
    if ms:
        p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
        line += f"\n{'':8} 200s: p50 {p(0.50):.1f} ms  p99 {p(0.99):.1f} ms  max {ms[-1]:.1f} ms  mean {statistics.mean(ms):.1f} ms"
    print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--hostile", type=int, default=16)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "paperdex"))
    ap.add_argument("--serve-args", default="", help="extra arguments for paperdex serve")
    args = ap.parse_args()
    seconds = max(1, min(args.seconds, 300))
    hostile = max(0, min(args.hostile, 64))
    if not os.path.exists(args.binary):
        sys.exit(f"hostile-load: no binary at {args.binary}: run `cargo build --release` first")
    tmp = None
    index = args.index
    if not index:
        tmp = tempfile.TemporaryDirectory(prefix="paperdex-hostile-")
        index = os.path.join(tmp.name, "index")
        source = LISTINGS if os.path.exists(LISTINGS) else os.path.join(ROOT, "corpus-samples")
        if source != LISTINGS:
            print(f"hostile-load: {LISTINGS} is missing; indexing the bundled corpus-samples/ "
                  "(small: the figures say little)", file=sys.stderr)
        print(f"hostile-load: indexing {source} into {index}", file=sys.stderr)
        subprocess.run([args.binary, "--index", index, "index", source], check=True,
                       stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([args.binary, "--index", index, "serve", "--addr", f"127.0.0.1:{port}",
                               *args.serve_args.split()], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        for q in NORMAL[:3]:
            get(port, q, {}, 10)  # warm the page cache
        print(f"hostile-load: {hostile} hostile clients and 1 normal client for {seconds} s "
              f"on 127.0.0.1:{port} ({os.cpu_count()} cores), binary {args.binary}")
        until = time.time() + seconds
        bad, good = [], []
        threads = [threading.Thread(target=client, args=(port, HOSTILE[i % len(HOSTILE):] + HOSTILE[:i % len(HOSTILE)],
                                                           {"limit": "1000"}, until, bad, 30))
                   for i in range(hostile)]
        threads.append(threading.Thread(target=client, args=(port, NORMAL, {}, until, good, 30)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        summary("normal", good)
        summary("hostile", bad)
        print(f"server peak RSS {peak_rss_mb(server.pid):.0f} MB")
        # The server answers at once when the load is gone.
        status, ms = get(port, NORMAL[0], {}, 10)
        print(f"after: {NORMAL[0]!r} -> {status} in {ms:.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=30)
        if tmp:
            tmp.cleanup()


if __name__ == "__main__":
    main()

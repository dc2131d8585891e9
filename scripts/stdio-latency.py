#!/usr/bin/env python3
"""Round-trip time of `search` over `paperdex stdio`, as an editor sees it while typing.

    scripts/stdio-latency.py [--index DIR] [--requests N] [--bin PATH] [--facets]

Sends N searches one after another (each waits for its reply) with prefixes of a few
queries, the way search-as-you-type sends them, and prints median, p90 and p99 in ms.
Without facets, as the Neovim plugin asks; `--facets` counts them too (the protocol's default).
"""
import argparse
import json
import statistics
import subprocess
import time

QUERIES = ["sparse attention", "reasoning models", "long context", "diffusion language", "quantization"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--bin", default="target/release/paperdex")
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--facets", action="store_true")
    args = ap.parse_args()
    cmd = [args.bin, "stdio"] + (["--index", args.index] if args.index else [])
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    typed = [q[:n] for q in QUERIES for n in range(3, len(q) + 1)]
    times = []
    for i in range(args.requests):
        request = {"jsonrpc": "2.0", "id": i, "method": "search",
                   "params": {"q": typed[i % len(typed)], "limit": args.limit, "facets": args.facets}}
        start = time.perf_counter()
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        reply = json.loads(proc.stdout.readline())
        times.append((time.perf_counter() - start) * 1000)
        assert reply["id"] == i, reply
    proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": "end", "method": "shutdown"}) + "\n")
    proc.stdin.close()
    proc.wait()
    times.sort()
    pct = lambda p: times[min(len(times) - 1, int(len(times) * p / 100))]
    print(f"{len(times)} searches over stdio: median {statistics.median(times):.2f} ms, "
          f"p90 {pct(90):.2f} ms, p99 {pct(99):.2f} ms, max {times[-1]:.2f} ms")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Peak RSS of `paperdex index` per kind of input, at --memory-budget 64 and 256
(docs/RELIABILITY.md, issue 22 item 2).

    scripts/index-memory.py [--bin target/release/paperdex] [--only NAME ...]

Inputs, generated in a temporary directory (about 25 MB on disk):
  listings    ../shared/data/arxiv/listings-2025-2026.jsonl.gz (115,671 records), if present
  daily-3g    a daily page (corpus-samples/004's header, then a 14 KB run of its entries
              repeated) that decodes to 3 GiB from a 22 MB .txt.gz
  dev-zero    /dev/zero with --format daily (an endless page)
  many-15000  15,000 files of one listing each (from the listings, or generated)

Each run is sampled every 20 ms (VmHWM of /proc/PID/status) and killed after its timeout
(a run that never ends reports the peak it reached).
"""
import argparse, gzip, json, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LISTINGS = os.path.join(ROOT, "..", "shared", "data", "arxiv", "listings-2025-2026.jsonl.gz")


def daily_page(path, size):
    lines = open(os.path.join(ROOT, "corpus-samples", "004_d8329b276105c370.txt"), encoding="utf-8").read().split("\n")
    start = lines.index("Aug 19") + 2
    header, body = "\n".join(lines[:start]) + "\n", "\n".join(lines[start:])
    # Whole entries, short enough for deflate's 32 KB window to see the repeats.
    cut = body.rfind("\n\n", 0, body.rfind("\n\n", 0, body.rfind("\n\n", 0, 16000)))
    chunk = (body[:cut] + "\n\n").encode()
    with gzip.open(path, "wb", compresslevel=6) as f:
        f.write(header.encode())
        written = len(header)
        while written < size:
            f.write(chunk)
            written += len(chunk)


def many_files(dir, n):
    os.makedirs(dir)
    if os.path.exists(LISTINGS):
        with gzip.open(LISTINGS, "rt", encoding="utf-8") as f:
            records = [f.readline() for _ in range(n)]
    else:
        records = [json.dumps({"id": f"2601.{i:05}", "title": f"Paper {i} on retrieval", "authors": ["A. Author"],
                               "categories": ["cs.IR"], "comment": None, "abstract": f"We study topic {i % 97}.",
                               "first_listed": "2026-01-02"}) + "\n" for i in range(n)]
    for i, line in enumerate(records):
        with open(os.path.join(dir, f"{i:05}.jsonl"), "w", encoding="utf-8") as f:
            f.write(line)


def peak(cmd, timeout):
    """(peak RSS MiB, seconds, how it ended, last stdout line, first stderr line)."""
    started = time.time()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        hwm, killed = 0, False
        while p.poll() is None:
            try:
                for line in open(f"/proc/{p.pid}/status"):
                    if line.startswith("VmHWM:"):
                        hwm = max(hwm, int(line.split()[1]))
            except OSError:
                pass
            if time.time() - started > timeout:
                p.kill()
                killed = True
                break
            time.sleep(0.02)
        p.wait()
        out.seek(0)
        err.seek(0)
        last = (out.read().decode(errors="replace").strip().splitlines() or [""])[-1]
        first = (err.read().decode(errors="replace").strip().splitlines() or [""])[0]
    ended = f"killed at {timeout:.0f} s" if killed else f"exit {p.returncode}"
    return hwm / 1024, time.time() - started, ended, last, first


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "paperdex"))
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--timeout", type=float, default=180, help="seconds before a run is killed")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="paperdex-memory-")
    try:
        inputs = []
        if os.path.exists(LISTINGS):
            inputs.append(("listings", [LISTINGS]))
        daily = os.path.join(work, "daily-3g.txt.gz")
        inputs += [("daily-3g", [daily]), ("dev-zero", ["--format", "daily", "/dev/zero"]),
                   ("many-15000", [os.path.join(work, "many")])]
        inputs = [(name, a) for name, a in inputs if not args.only or name in args.only]
        names = {name for name, _ in inputs}
        if "daily-3g" in names:
            daily_page(daily, 3 << 30)
        if "many-15000" in names:
            many_files(os.path.join(work, "many"), 15_000)
        for budget in (64, 256):
            for name, a in inputs:
                index = os.path.join(work, "index")
                shutil.rmtree(index, ignore_errors=True)
                cmd = [args.bin, "index", "--index", index, "--memory-budget", str(budget)] + a
                mib, secs, ended, last, first = peak(cmd, args.timeout)
                print(f"{name:<11} budget {budget:>3}  peak {mib:6.0f} MiB  {secs:6.1f} s  {ended}  {last}  {first[:160]}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

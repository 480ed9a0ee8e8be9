#!/usr/bin/env python3
"""Engine.judge_record() against Engine.judge_file() over the same stream.

    record_bench.py --bench KAG_BENCH [--events=N] [--rounds=R] [--emit-benign]

The stream is the benchmark generator's (kag-bench --dump), as a file for
judge_file() and as the dicts json.loads() gives for judge_record(),
decoded in batches of --batch lines just before they are judged, as a
collector holds the records of a chunk it has just decoded (the decoding is
not timed; judge_file() reads 64 KiB chunks, about as many lines). Each
round times, in one process and in a rotating order, judge_record() over
every dict (with the C accelerator when the module has it), judge_file()
over the file, and judge_record() on the pure-Python path; each with a
fresh Engine (emit_benign off unless --emit-benign, as a collector that
forwards findings runs it). Printed: dicts (events) per second of each, as
the median and quartiles over the rounds, and the ratios to judge_file()
of the same round. The verdicts of the three must be the same (checked on
the first round).

The kag module and libkag are found as the tests find them (KAG_LIBRARY,
PYTHONPATH for the accelerator, --module-dir for kag.py).

SPDX-License-Identifier: MIT
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def quartiles(xs):
    xs = sorted(xs)
    if len(xs) < 4:
        return xs[0], statistics.median(xs), xs[-1]
    q = statistics.quantiles(xs, n=4)
    return q[0], q[1], q[2]


def strip(rec):
    """A verdict record without what differs between the inputs by design
    (event.format: "builder" or "native"; event.source: the file's)."""
    rec = dict(rec)
    if "event" in rec:
        rec["event"] = {k: v for k, v in rec["event"].items() if k not in ("format", "source")}
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="the kag-bench program")
    ap.add_argument("--module-dir", required=True, help="the directory of kag.py")
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--emit-benign", action="store_true")
    ap.add_argument("--min-rate", type=float, default=0,
                    help="fail when judge_record()'s median dicts/s is below this")
    args = ap.parse_args()

    sys.path.insert(0, args.module_dir)
    import kag

    data = subprocess.run([args.bench, "--dump", "--events=%d" % args.events],
                          stdout=subprocess.PIPE, check=True).stdout
    lines = data.splitlines()
    batches = [lines[i:i + args.batch] for i in range(0, len(lines), args.batch)]
    n = len(lines)
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as f:
        f.write(data)
        path = f.name

    def engine():
        return kag.Engine(emit_benign=args.emit_benign)

    def by_record(text_of):
        saved = kag._record_text
        kag._record_text = text_of
        try:
            with engine() as e:
                out = []
                spent = 0.0
                for batch in batches:
                    records = [json.loads(line) for line in batch]
                    t = time.perf_counter()
                    for r in records:
                        out += e.judge_record(r)
                    spent += time.perf_counter() - t
                t = time.perf_counter()
                out += e.finish()
                return spent + time.perf_counter() - t, out
        finally:
            kag._record_text = saved

    def by_file():
        with engine() as e:
            t = time.perf_counter()
            out = list(e.judge_file(path))
            return time.perf_counter() - t, out

    paths = {
        "judge_record": lambda: by_record(kag._record_text),
        "judge_file": by_file,
        "judge_record (pure Python)": lambda: by_record(kag._record_text_pure),
    }
    names = list(paths)
    secs = {name: [] for name in names}
    try:
        for r in range(args.rounds):
            outs = {}
            for i in range(len(names)):
                name = names[(r + i) % len(names)]
                t, outs[name] = paths[name]()
                secs[name].append(t)
            if r == 0:
                want = [strip(x) for x in outs["judge_file"]]
                for name in names:
                    if [strip(x) for x in outs[name]] != want:
                        print("FAIL: %s gives other verdicts than judge_file" % name)
                        return 1
                verdicts = len(want)
    finally:
        os.unlink(path)

    print("%d events (%d bytes), %d verdicts, emit_benign=%s, accelerator %s, %d rounds"
          % (n, len(data), verdicts, args.emit_benign,
             "in use" if kag.ACCELERATED else "NOT in use", args.rounds))
    print("%-28s %12s %12s %12s" % ("dicts/s", "q1", "median", "q3"))
    rates = {}
    for name in names:
        q1, med, q3 = quartiles([n / s for s in secs[name]])
        rates[name] = med
        print("%-28s %12.0f %12.0f %12.0f" % (name, q1, med, q3))
    print("%-28s %12s %12s %12s" % ("ratio to judge_file", "q1", "median", "q3"))
    for name in names:
        if name == "judge_file":
            continue
        q1, med, q3 = quartiles([f / s for s, f in zip(secs[name], secs["judge_file"])])
        print("%-28s %12.2f %12.2f %12.2f" % (name, q1, med, q3))
    if args.min_rate and rates["judge_record"] < args.min_rate:
        print("FAIL: judge_record() %.0f dicts/s, below %.0f" % (rates["judge_record"],
                                                                 args.min_rate))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

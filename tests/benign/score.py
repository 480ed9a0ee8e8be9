#!/usr/bin/env python3
"""Benign noise of kag-triage on the generated stream (gen.py), and whether
each mixed-in attack fires.

An alert is what kag-triage writes by default as a finding: a suspicious or
malicious verdict (severity low and up; info and benign verdicts are not
written). needs_context verdicts are counted apart. Rates are per 1,000
benign events. Exit 1 when an attack does not fire with at least its
expected severity, or when a rate exceeds its --max-*.

With --learn-fraction F, kag-triage first learns a baseline
(--baseline=FILE --learn) from the benign events of the first F of the
stream, then judges the rest with it; the attacks, wherever they fell, are
all judged (never learned). The figures are then per 1,000 benign events of
the rest, and the figures without a baseline on the same events are
reported next to them.

usage: score.py KAG_TRIAGE [--seed N] [--events N] [--json]
                [--learn-fraction F]
                [--max-alerts-per-1000 X] [--max-needs-context-per-1000 Y]
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402

SEVERITY = ["info", "low", "medium", "high", "critical"]


def behaviour(audit_id):
    """benign-<behaviour>-<uuid>: the uuid is the last five dash fields."""
    return "-".join(audit_id.split("-")[1:-5])


def split(path, fraction, learn_path, judge_path):
    """The benign lines of the first `fraction` to learn_path; the attack
    lines among them, then every later line, to judge_path (times stay in
    order: the early attacks come before every later line)."""
    with open(path) as f:
        lines = f.readlines()
    cut = int(len(lines) * fraction)
    early = lines[:cut]
    with open(learn_path, "w") as f:
        f.writelines(x for x in early if '"auditID":"attack-' not in x)
    with open(judge_path, "w") as f:
        f.writelines(x for x in early if '"auditID":"attack-' in x)
        f.writelines(lines[cut:])


def run_triage(triage, args):
    out = subprocess.run([triage] + args, stdout=subprocess.PIPE, check=False)
    if out.returncode != 0:
        raise SystemExit("score.py: kag-triage exited %d" % out.returncode)
    return out


def score(triage, seed, events, learn_fraction=None, use_baseline=True):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "stream.jsonl")
        gen.main(["--seed", str(seed), "--events", str(events), "-o", path])
        args = []
        if learn_fraction:
            learn, judge = os.path.join(d, "learn.jsonl"), os.path.join(d, "judge.jsonl")
            base = os.path.join(d, "baseline.json")
            split(path, learn_fraction, learn, judge)
            run_triage(triage, ["--baseline=" + base, "--learn", learn])
            path = judge
            if use_baseline:
                args = ["--baseline=" + base]
        with open(path) as f:
            ids = [json.loads(line)["auditID"] for line in f]
        out = run_triage(triage, args + [path])
    benign = len({i for i in ids if i.startswith("benign-")})
    benign_events = sum(1 for i in ids if i.startswith("benign-"))
    attacks = gen.load_attacks(os.path.join(HERE, "attacks.jsonl"))
    fired = {a["name"]: [] for a in attacks}
    kinds = {"alerts": collections.Counter(), "needs_context": collections.Counter()}
    by_beh = {"alerts": collections.Counter(), "needs_context": collections.Counter()}
    for line in out.stdout.decode().splitlines():
        v = json.loads(line)
        if "detector" not in v:
            continue
        aid = (v.get("event") or {}).get("auditID") or ""
        kind = "needs_context" if v["assessment"] == "needs_context" else (
            "alerts" if v["assessment"] in ("suspicious", "malicious") else None)
        if aid.startswith("attack-"):
            for a in attacks:
                if aid.startswith("attack-%s-" % a["name"]) and kind == "alerts":
                    fired[a["name"]].append((v["detector"], v["severity"]))
        elif kind:
            kinds[kind][v["detector"]] += 1
            by_beh[kind][behaviour(aid)] += 1
    per = lambda n: round(1000.0 * n / benign_events, 2) if benign_events else 0.0
    res = {"seed": seed, "learn_fraction": learn_fraction, "benign_events": benign_events, "benign_requests": benign,
           "alerts": sum(kinds["alerts"].values()),
           "needs_context": sum(kinds["needs_context"].values()),
           "alerts_per_1000": per(sum(kinds["alerts"].values())),
           "needs_context_per_1000": per(sum(kinds["needs_context"].values())),
           "alerts_by_detector": dict(kinds["alerts"].most_common()),
           "needs_context_by_detector": dict(kinds["needs_context"].most_common()),
           "alerts_by_behaviour": dict(by_beh["alerts"].most_common()),
           "needs_context_by_behaviour": dict(by_beh["needs_context"].most_common()),
           "attacks": []}
    for a in attacks:
        want = SEVERITY.index(a["severity"])
        ok = any(d == a["detector"] and SEVERITY.index(s) >= want for d, s in fired[a["name"]])
        res["attacks"].append({"name": a["name"], "detector": a["detector"], "min_severity": a["severity"],
                               "fired": ok, "verdicts": sorted(set("%s/%s" % x for x in fired[a["name"]]))})
    return res


def show(r):
    if r.get("learn_fraction"):
        print("baseline learned on the first %g of the stream; without it the rest gives "
              "%.2f alerts and %.2f needs_context per 1,000" %
              (r["learn_fraction"], r["without_baseline"]["alerts_per_1000"],
               r["without_baseline"]["needs_context_per_1000"]))
    print("benign events: %d (%d requests)" % (r["benign_events"], r["benign_requests"]))
    print("alerts per 1,000 benign events: %.2f (%d)" % (r["alerts_per_1000"], r["alerts"]))
    print("needs_context per 1,000 benign events: %.2f (%d)" % (r["needs_context_per_1000"], r["needs_context"]))
    for key in ("alerts_by_detector", "alerts_by_behaviour", "needs_context_by_detector",
                "needs_context_by_behaviour"):
        print("%s:" % key.replace("_", " "))
        for k, n in r[key].items():
            print("  %-28s %6d" % (k, n))
    print("attacks:")
    for a in r["attacks"]:
        print("  %-22s %-24s >=%-8s %s  %s" % (a["name"], a["detector"], a["min_severity"],
                                               "fired" if a["fired"] else "MISSED", " ".join(a["verdicts"])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("triage")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--learn-fraction", type=float,
                    help="learn a baseline on this fraction of the stream, judge the rest with it")
    ap.add_argument("--max-alerts-per-1000", type=float)
    ap.add_argument("--max-needs-context-per-1000", type=float)
    a = ap.parse_args()
    if a.learn_fraction is not None and not 0 < a.learn_fraction < 1:
        ap.error("--learn-fraction takes a number between 0 and 1")
    r = score(a.triage, a.seed, a.events, a.learn_fraction)
    if a.learn_fraction:
        w = score(a.triage, a.seed, a.events, a.learn_fraction, use_baseline=False)
        r["without_baseline"] = {k: w[k] for k in ("alerts_per_1000", "needs_context_per_1000",
                                                   "alerts", "needs_context")}
    fail = [x["name"] for x in r["attacks"] if not x["fired"]]
    if a.max_alerts_per_1000 is not None and r["alerts_per_1000"] > a.max_alerts_per_1000:
        fail.append("alerts %.2f > %.2f per 1,000" % (r["alerts_per_1000"], a.max_alerts_per_1000))
    if a.max_needs_context_per_1000 is not None and r["needs_context_per_1000"] > a.max_needs_context_per_1000:
        fail.append("needs_context %.2f > %.2f per 1,000" % (r["needs_context_per_1000"],
                                                            a.max_needs_context_per_1000))
    r["failures"] = fail
    if a.json:
        print(json.dumps(r, indent=1))
    else:
        show(r)
        for f in fail:
            print("FAIL: %s" % f)
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())

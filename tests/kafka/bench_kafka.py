#!/usr/bin/env python3
"""Benchmark: kag-kafka consuming N events from librdkafka's mock cluster
against kag-triage --jobs=1 over the same events in a file, in the same
run. Prints events/s of each and the ratios.

The mock cluster keeps about 5 MB per partition (older records are
deleted), so the events are keyed by their number (spread evenly) over 64
partitions, and N stays below what it keeps. kag-kafka's time runs from
its first record judged to the last partition's end-of-partition event
(-X enable.partition.eof=true: kag-kafka logs it), so it leaves out
joining the group and the last commit; librdkafka may have fetched records
ahead while the group was joined, so part of reading them from the brokers
is outside the figure, as reading the file is inside kag-triage's. Three
runs: a file written and fsync'd before each commit, every second (the
default) and every 10 ms, and stdout to /dev/null every 10 ms (no fsync):
the last two give what writing and fsync cost at 100 commits a second.
Best of --rounds each.

usage: bench_kafka.py [--events=N] [--rounds=R]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

PARTITIONS = 64


def triage_rate(prog, path, n, rounds):
    best = None
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run([prog, '--jobs=1', path], check=True, stdout=subprocess.DEVNULL)
        t = time.perf_counter() - t
        best = t if best is None or t < best else best
    return n / best


def kafka_rate(prog, cluster, group, work, n, output, commit_every):
    ends = cluster.ends()
    metrics = os.path.join(work, group + '.prom')
    args = [prog, '--brokers=' + cluster.bootstraps, '--group=' + group,
            '--topic=' + kt.TOPIC, '--commit-every=%d' % commit_every,
            '--metrics-file=' + metrics, '-X', 'enable.partition.eof=true']
    if output:
        args.append('--output=' + output)
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first, at_end, done = [], {}, threading.Event()

    def watch():
        for line in p.stderr:
            now = time.perf_counter()
            m = re.match(r'kag-kafka: %s/(\d+): at the end, offset (\d+)$' % kt.TOPIC, line)
            if 'judging from offset' in line:
                if not first:
                    first.append(now)
            elif m:
                if int(m.group(2)) == ends[int(m.group(1))]:
                    at_end[int(m.group(1))] = now
                    if len(at_end) == len(ends):
                        done.set()
            elif 'judged offsets' not in line:
                sys.stderr.write(line)
    th = threading.Thread(target=watch, daemon=True)
    th.start()
    try:
        assert done.wait(timeout=300), 'kag-kafka did not reach the ends'
        p.terminate()
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    th.join(timeout=10)
    # every record judged (none deleted by the mock before it was read),
    # and everything committed at exit
    text = open(metrics).read()
    assert 'kag_kafka_records_consumed_total %d\n' % n in text, text
    assert cluster.committed(group) == ends
    return n / (max(at_end.values()) - first[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--events', type=int, default=80000)
    ap.add_argument('--rounds', type=int, default=2)
    a = ap.parse_args()
    prog, triage_prog, harness, gen = kt.need('KAG_KAFKA', 'KAG_TRIAGE', 'KAG_KAFKA_MOCK',
                                               'KAG_BENIGN_GEN')
    work = tempfile.mkdtemp(prefix='kag-kafka-bench.')
    out = subprocess.run([sys.executable, gen, '--seed', '11', '--events', str(a.events)],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    path = os.path.join(work, 'events.jsonl')
    tsv = os.path.join(work, 'events.tsv')
    with open(path, 'w') as f, open(tsv, 'w') as g:
        for i, line in enumerate(out):
            json.loads(line)
            f.write(line + '\n')
            g.write('%d\t%s\n' % (i, line))  # keyed by count: spread evenly
    n = len(out)
    cluster = kt.Cluster(harness, partitions=PARTITIONS)
    try:
        cluster.produce(tsv, os.path.join(work, 'placed.txt'), 0)
        base = triage_rate(triage_prog, path, n, a.rounds + 1)
        print('%d events; kag-triage --jobs=1: %.0f events/s' % (n, base))
        rates = []
        for label, output, every in (
                ('file, fsync and commit every 1000 ms', 'v.jsonl', 1000),
                ('file, fsync and commit every 10 ms', 'v.jsonl', 10),
                ('stdout to /dev/null, commit every 10 ms', None, 10)):
            rates.append(max(kafka_rate(prog, cluster, 'bench-%d-%d' % (len(rates), r), work,
                                        n, output and os.path.join(work, output), every)
                             for r in range(a.rounds)))
            print('kag-kafka, %s: %.0f events/s, ratio to kag-triage %.2f' % (
                label, rates[-1], rates[-1] / base))
        print('writing and fsync at 100 commits/s: file/stdout ratio %.2f' % (
            rates[1] / rates[2]))
    finally:
        cluster.close()


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Benchmark: kag-kafka consuming N events from librdkafka's mock cluster
(one consumer, 6 partitions, verdicts to a file, fsync and commit every
--commit-every) against kag-triage --jobs=1 over the same events in a file,
in the same run. Prints events/s of each and the ratio; the kag-kafka time
runs from its first record to the moment the group's committed offsets
reach the ends (polled every 50 ms), so it includes the last fsync and
commit but not joining the group.

usage: bench_kafka.py [--events=N] [--commit-every=MS,...]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402


def triage_rate(prog, path, n):
    best = None
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([prog, '--jobs=1', path], check=True, stdout=subprocess.DEVNULL)
        t = time.perf_counter() - t
        best = t if best is None or t < best else best
    return n / best


def kafka_rate(prog, cluster, group, work, n, commit_every):
    ends = cluster.ends()
    out = os.path.join(work, group + '.jsonl')
    p = subprocess.Popen([prog, '--brokers=' + cluster.bootstraps, '--group=' + group,
                          '--topic=' + kt.TOPIC, '--output=' + out,
                          '--commit-every=%d' % commit_every],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = []

    def watch():
        for line in p.stderr:
            if 'judging from offset' in line and not first:
                first.append(time.perf_counter())
    th = threading.Thread(target=watch, daemon=True)
    th.start()
    deadline = time.time() + 600
    while True:
        c = cluster.committed(group)
        if all(c.get(q, -1) == e for q, e in ends.items()):
            done = time.perf_counter()
            break
        assert p.poll() is None and time.time() < deadline, 'kag-kafka stopped'
        time.sleep(0.05)
    p.terminate()
    assert p.wait(timeout=60) == 0
    th.join(timeout=10)
    assert first
    return n / (done - first[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--events', type=int, default=100000)
    ap.add_argument('--commit-every', default='1000,10')
    a = ap.parse_args()
    prog, triage_prog, harness, gen = kt.need('KAG_KAFKA', 'KAG_TRIAGE', 'KAG_KAFKA_MOCK',
                                               'KAG_BENIGN_GEN')
    work = tempfile.mkdtemp(prefix='kag-kafka-bench.')
    out = subprocess.run([sys.executable, gen, '--seed', '11', '--events',
                          str(a.events)], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    import json
    path = os.path.join(work, 'events.jsonl')
    tsv = os.path.join(work, 'events.tsv')
    with open(path, 'w') as f, open(tsv, 'w') as g:
        for line in out:
            ev = json.loads(line)
            f.write(line + '\n')
            g.write('%s\t%s\n' % ((ev.get('user') or {}).get('username', ''), line))
    n = len(out)
    cluster = kt.Cluster(harness)
    try:
        cluster.produce(tsv, os.path.join(work, 'placed.txt'), 0)
        base = triage_rate(triage_prog, path, n)
        print('%d events; kag-triage --jobs=1: %.0f events/s' % (n, base))
        for i, ms in enumerate(int(x) for x in a.commit_every.split(',')):
            rate = kafka_rate(prog, cluster, 'bench-%d' % i, work, n, ms)
            print('kag-kafka, fsync and commit every %d ms: %.0f events/s, ratio to '
                  'kag-triage %.2f' % (ms, rate, rate / base))
    finally:
        cluster.close()


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""kag-kafka --output-topic on librdkafka's mock cluster: one consumer
judges a topic of 6 partitions and produces its verdicts to a topic of
their own. What must hold:
 - it exits 0 on SIGTERM with every partition's offset committed to its
   end (the shutdown finishes the streams and commits what they held);
 - the verdict topic holds exactly the records of one kag-triage --all run
   per input partition (source for source), nothing twice;
 - each is keyed with its input record's key (the producers' key: the
   user); a verdict released later than its record was judged (a request
   held at RequestReceived), or of an input record without a key, with its
   verdict's user;
 - the metrics count what was consumed and produced;
 - with --output=FILE, SIGHUP reopens FILE (logrotate);
 - usage errors exit 2.
"""
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

VERDICTS = 'kag-verdicts'


def main():
    st = kt.Setup('kag-kafka-topic.', 500, kt.MAX_RECORD)

    cluster = kt.Cluster(st.harness, verdict_topic=VERDICTS)
    c = kt.Consumer(st.prog, cluster.bootstraps, 'kag-topic', st.work, 'c', st.judge_args +
                    ['--max-record=%d' % kt.MAX_RECORD, '--commit-every=100'],
                    output='--output-topic=' + VERDICTS)
    try:
        deadline = time.time() + 60
        while c.metric('kag_kafka_assigned_partitions') != cluster.partitions:
            assert time.time() < deadline and c.p.poll() is None, open(c.err).read()
            time.sleep(0.2)
        placed = cluster.produce(st.infile, os.path.join(st.work, 'placed.txt'), 0)
        ends = cluster.ends()
        deadline = time.time() + 60
        while c.metric('kag_kafka_records_consumed_total') != len(st.recs) or \
                c.metric('kag_kafka_consumer_lag') != 0:
            assert time.time() < deadline and c.p.poll() is None, open(c.err).read()
            time.sleep(0.2)
        assert c.stop() == 0, open(c.err).read()
        assert cluster.committed('kag-topic') == ends
        out = cluster.consume(VERDICTS, 3, os.path.join(st.work, 'verdicts.tsv'))
        hup(st, cluster, ends)
    finally:
        if c.p.poll() is None:
            c.p.kill()
            c.p.wait()
        cluster.close()

    by_part = kt.partitions(placed, ends)
    want = Counter()
    for p in ends:
        want.update(kt.reference(st.triage, st.judge_args, st.recs, by_part, p, 0, ends[p],
                                 st.work, kt.MAX_RECORD))
    got = Counter(kt.norm(json.loads(v)) for _, v in out)
    assert got == want, (list((got - want).items())[:2], list((want - got).items())[:2])
    assert len(set(json.loads(v).get('id') for _, v in out if 'id' in json.loads(v))) == \
        sum(1 for _, v in out if 'id' in json.loads(v)), 'a verdict produced twice'

    keyed = Counter()
    for key, v in out:
        r = json.loads(v)
        body = r.get('event') or r.get('error')
        p, off = kt.where(r)
        want_key = st.recs[by_part[p][off]][0]
        if not want_key or r.get('event', {}).get('stage') == 'RequestReceived':
            # released later, or of an unkeyed record: the verdict's user
            want_key = ((r.get('evidence') or {}).get('user') or {}).get('username', '')
        assert key == want_key, (key, want_key, v[:200])
        keyed[bool(key)] += 1
        assert body is not None
    print('%d verdict records, %d keyed, %d without a key' % (len(out), keyed[True],
                                                             keyed[False]))
    assert keyed[True] > 0.9 * len(out)
    assert c.metric('kag_kafka_records_produced_total') == len(out)
    assert c.metric('kag_kafka_records_consumed_total') == len(st.recs)
    assert c.metric('kag_kafka_commit_failures_total') == 0
    values = os.path.join(st.work, 'values.jsonl')
    with open(values, 'w') as f:
        for _, v, _ in st.recs:
            f.write(('' if len(v) > kt.MAX_RECORD else v) + '\n')
    r = subprocess.run([st.triage, '--summary', '--error-limit=0', values],
                       capture_output=True, text=True)
    summary = json.loads(r.stdout.splitlines()[-1])['summary']
    parse_metrics(c.metrics, len(st.recs), len(out), summary)
    usage(st.prog)
    print('ok')


def parse_metrics(path, consumed, produced, summary):
    """The exposition read by a Prometheus text-format parser (Debian's
    python3-prometheus-client)."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        print('python3-prometheus-client not installed: the exposition is not parsed')
        return
    samples = {}
    for fam in text_string_to_metric_families(open(path).read()):
        for smp in fam.samples:
            samples[(smp.name, tuple(sorted(smp.labels.items())))] = smp.value
    assert samples[('kag_kafka_records_consumed_total', ())] == consumed
    assert samples[('kag_kafka_records_produced_total', ())] == produced
    assert samples[('kag_kafka_assigned_partitions', ())] == 0
    assert samples[('kag_kafka_rebalances_total', (('event', 'assign'),))] >= 1
    # the records judged and rejected: those of kag-triage --summary over
    # the same records, and the one over --max-record
    judged = sum(v for (name, _), v in samples.items() if name == 'kag_records_judged_total')
    rejected = sum(v for (name, _), v in samples.items()
                   if name == 'kag_records_rejected_total')
    assert (judged, rejected) == (summary['judged'], summary['rejected'] + 1), \
        (judged, rejected, summary)


def wait_consumed(c, n):
    deadline = time.time() + 60
    while c.metric('kag_kafka_records_consumed_total') != n or \
            c.metric('kag_kafka_consumer_lag') != 0:
        assert time.time() < deadline and c.p.poll() is None, open(c.err).read()
        time.sleep(0.2)


def hup(st, cluster, ends):
    """--output=FILE and SIGHUP (logrotate): after the file is renamed and
    the signal sent, the records judged before it are in the old file and
    the new records in a new FILE."""
    c = kt.Consumer(st.prog, cluster.bootstraps, 'kag-hup', st.work, 'hup', st.judge_args)
    try:
        wait_consumed(c, len(st.recs))
        os.rename(c.out, c.out + '.1')
        c.p.send_signal(signal.SIGHUP)
        # the new records go out once the consumer has opened FILE again:
        # records it takes before it sees the signal belong to the old one
        deadline = time.time() + 30
        while not os.path.exists(c.out):
            assert time.time() < deadline and c.p.poll() is None, open(c.err).read()
            time.sleep(0.05)
        more = os.path.join(st.work, 'more.tsv')
        # (new requests: the same ones again would be later stages of
        # requests already judged, which give no verdict)
        kt.write_records(more, [(k, v.replace('"auditID":"', '"auditID":"again-'), a)
                                for k, v, a in st.recs[:200]])
        cluster.produce(more, os.path.join(st.work, 'placed-more.txt'), 0)
        wait_consumed(c, len(st.recs) + 200)
        assert c.stop() == 0, open(c.err).read()
    finally:
        if c.p.poll() is None:
            c.p.kill()
            c.p.wait()
    old = [kt.where(json.loads(l)) for l in open(c.out + '.1')]
    new = [kt.where(json.loads(l)) for l in open(c.out)]
    assert all(l.endswith('\n') for f in (c.out, c.out + '.1') for l in open(f))
    assert old and all(off < ends[p] for p, off in old)
    assert sum(off >= ends[p] for p, off in new) > 100, len(new)
    print('SIGHUP: %d records before, %d after' % (len(old), len(new)))


def usage(prog):
    """Usage errors exit 2."""
    base = [prog, '--brokers=127.0.0.1:1', '--group=g', '--topic=t']
    for args in (base + ['-X', 'no.such.property=1'], base[:3],
                 base + ['--output=x', '--output-topic=y'], base + ['--commit-every=0'],
                 base + ['--no-such-option']):
        r = subprocess.run(args, capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr, (args, r.returncode, r.stderr)


if __name__ == '__main__':
    main()

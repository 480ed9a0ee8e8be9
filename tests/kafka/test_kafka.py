#!/usr/bin/env python3
"""kag-kafka in a consumer group on librdkafka's mock cluster (3 brokers, a
topic of 6 partitions), 3 consumers, one of them killed (SIGKILL) a third
of the way through a stream produced over 14 s, so that the group
rebalances mid-stream, its partitions move and part of them is judged
twice. The protocol is the argument: cooperative-sticky (default) or range
(eager).

What must hold:
 - the survivors judge every record (all partitions theirs, no lag); they
   are stopped with SIGTERM one after the other (the mock cluster refuses
   commits while the group rebalances) and exit 0 with 0 partitions
   assigned, and then every partition's committed offset is its end (a
   request held at RequestReceived keeps its record uncommitted until the
   stream finishes, so the ends are reached at the latest then);
 - each consumer wrote, for each partition, exactly the records of one
   kag-triage --all run per stream it ran on it (the partition's records
   from the stream's first offset to its last), source for source; a
   stream judged again from an earlier commit (a commit refused during a
   rebalance, an assignment lost) is a run of its own;
 - the killed consumer's last stream wrote only records such a run writes,
   and at least all those of the records it committed (at-least-once);
 - every partition is judged from offset 0 to its end, each stream
   starting where a previous owner committed;
 - no record is left unjudged: every record has a verdict (a catch-all
   info rule gives every event one) or an error record of its own, or its
   auditID is in a verdict (a RequestReceived stage reported at its later
   stage);
 - the union of the records, de-duplicated by verdict id, equals one
   kag-triage --all run per partition over the whole partition, except
   the verdicts printed as the correlation windows cut by a move: each is
   a verdict (never an error record) about an event judged after a cut of
   its partition, for a principal with events before the cut or a
   RequestReceived stage (the session clock restarts); and without their
   "id" member the other records are equal too.
"""
import json
import os
import signal
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafkatest as kt  # noqa: E402

MAX_RECORD = kt.MAX_RECORD
GROUP = 'kag-test'


def main():
    # the group's protocol: cooperative (cooperative-sticky: only the
    # partitions that move are revoked) or eager (range: all are revoked
    # and assigned again at every rebalance)
    strategy = sys.argv[1] if len(sys.argv) > 1 else 'cooperative-sticky'
    st = kt.Setup('kag-kafka-test.', 3000, MAX_RECORD)
    prog, triage_prog, harness = st.prog, st.triage, st.harness
    work, judge_args, recs, infile = st.work, st.judge_args, st.recs, st.infile
    print('%d records, %d keys' % (len(recs), len(set(r[0] for r in recs))))

    cluster = kt.Cluster(harness)
    extra = judge_args + [
        '--max-record=%d' % MAX_RECORD, '--commit-every=200',
        '-X', 'partition.assignment.strategy=' + strategy,
        '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500']
    cons = [kt.Consumer(prog, cluster.bootstraps, GROUP, work, 'c%d' % i, extra)
            for i in range(3)]
    try:
        # every consumer has its partitions before the stream starts
        deadline = time.time() + 60
        while True:
            got = [c.metric('kag_kafka_assigned_partitions') for c in cons]
            if all(g and g > 0 for g in got) and sum(got) == cluster.partitions:
                break
            assert time.time() < deadline, 'assignments: %r' % got
            for c in cons:
                assert c.p.poll() is None, open(c.err).read()
            time.sleep(0.2)
        print('assigned:', got)

        victim = cons[0]
        killed = []

        def progress(n):
            if n >= len(recs) // 3 and not killed:
                victim.p.send_signal(signal.SIGKILL)
                victim.p.wait()
                killed.append(n)
                print('SIGKILL consumer c0 after %d records produced' % n)

        # a live stream: records arrive over some 14 s, so that the group
        # rebalances (session.timeout.ms after the kill) while they do
        placed = cluster.produce(infile, os.path.join(work, 'placed.txt'), 300, progress)
        assert killed, 'the stream ended before the kill'
        ends = cluster.ends()
        assert sum(ends.values()) == len(recs), ends
        # The survivors judge every record: all partitions theirs, no lag.
        # (Their commits may stop short of the ends: a request held for a
        # later stage that never comes keeps its record uncommitted until
        # the stream is finished.)
        deadline = time.time() + 120
        while True:
            got = [(c.metric('kag_kafka_assigned_partitions'),
                    c.metric('kag_kafka_consumer_lag')) for c in cons[1:]]
            if sum(g[0] or 0 for g in got) == cluster.partitions and \
                    all(g[1] == 0 for g in got):
                break
            assert time.time() < deadline, got
            time.sleep(0.5)
        time.sleep(1.5)  # a metrics file written after the last record
        assert [c.metric('kag_kafka_consumer_lag') for c in cons[1:]] == [0, 0]
        print('before SIGTERM, committed:', cluster.committed(GROUP), 'ends:', ends)
        # One survivor leaves: the other takes its partitions over (from
        # their committed ends) before it is stopped in turn.
        assert cons[1].stop() == 0, open(cons[1].err).read()
        assert cons[1].metric('kag_kafka_assigned_partitions') == 0
        deadline = time.time() + 60
        while cons[2].metric('kag_kafka_assigned_partitions') != cluster.partitions:
            assert time.time() < deadline and cons[2].p.poll() is None
            time.sleep(0.2)
        # A partition whose commit stops short of its end (a held request,
        # or a commit refused while the group rebalanced) is finished only
        # by a stream on it: one kept, or one started again from the commit
        # once its first record is judged. Stopped sooner, the consumer
        # would have nothing of that partition to finish and commit.
        committed = cluster.committed(GROUP)
        short = [p for p, e in ends.items() if committed.get(p, -1) < e]
        print('after the takeover, committed:', committed, 'short of the end:', short)
        deadline = time.time() + 60
        while True:
            segs = cons[2].segments()
            if all(segs.get(p) and segs[p][-1][1] is None for p in short):
                break
            assert time.time() < deadline and cons[2].p.poll() is None, (committed, ends, segs)
            time.sleep(0.2)
        assert cons[2].stop() == 0, open(cons[2].err).read()
        assert cons[2].metric('kag_kafka_assigned_partitions') == 0
        # finishing the streams committed the rest
        assert cluster.committed(GROUP) == ends
        assert victim.p.returncode == -signal.SIGKILL
    finally:
        for c in cons:
            if c.p.poll() is None:
                c.p.kill()
                c.p.wait()
        cluster.close()

    check(recs, placed, ends, cons, triage_prog, judge_args, work)
    print('ok')


def source(k):
    """(partition, offset) of a normalised record."""
    r = json.loads(k)
    return tuple((r.get('event') or r.get('error'))['source'])


def check(recs, placed, ends, cons, triage_prog, judge_args, work):
    by_part = kt.partitions(placed, ends)
    def run(p, start, end):
        return kt.reference(triage_prog, judge_args, recs, by_part, p, start, end, work,
                            MAX_RECORD)

    segs = {c.name: c.segments() for c in cons}
    outs = {c.name: c.records() for c in cons}
    victim = cons[0].name

    # every partition judged from 0 to its end, owner after owner
    timeline = {p: [] for p in ends}
    for name, sg in segs.items():
        for p, lst in sg.items():
            for s in lst:
                timeline[p].append((s[0], s[1], name))
    cuts = {}
    for p, tl in timeline.items():
        # by start; at the same start the killed stream first (its
        # successor starts where it last committed)
        tl.sort(key=lambda s: (s[0], s[1] is not None, s[1] or 0))
        assert tl and tl[0][0] == 0, (p, tl)
        for a, b in zip(tl, tl[1:]):
            if a[1] is None:
                assert a[2] == victim and b[0] >= a[0], (p, tl)
            else:
                # from where the last owner committed: its end, or before
                # when a commit was refused (the rest judged again)
                assert a[0] <= b[0] <= a[1], (p, tl)
        assert tl[-1][1] == ends[p], (p, tl)
        cuts[p] = [s[0] for s in tl[1:]]
    moved = [p for p, tl in timeline.items() if any(s[2] == victim for s in tl)]
    print('partitions of the killed consumer:', moved, ' streams:',
          {p: [(s[0], s[1], s[2]) for s in tl] for p, tl in timeline.items()})
    assert moved

    # each consumer's records about each partition: those of its streams
    # (one kag-triage run per stream; a stream judged again from an
    # earlier commit, after a commit was refused or the partitions were
    # lost, adds its records again)
    total = Counter()
    for name, sg in segs.items():
        mine = [kt.norm(r) for r in outs[name] if 'error_summary' not in r]
        total.update(mine)
        for p, lst in sg.items():
            got = Counter(k for k in mine if source(k)[0] == p)
            want = Counter()
            for s, e in lst:
                if e is not None:
                    want.update(run(p, s, e))
            if lst[-1][1] is not None:
                assert got == want, ('%s %d %r' % (name, p, lst), list((got - want).items())[:3],
                                     list((want - got).items())[:3])
                continue
            # killed in its last stream, from s: what it wrote then is
            # part of a run from s on, and holds all it committed (up to
            # where the next owner started)
            s = lst[-1][0]
            assert not want - got, list((want - got).items())[:3]
            rest = got - want
            later = [x[0] for x in timeline[p] if x[2] != name and x[0] >= s]
            assert later, (name, p, s)
            full = Counter(run(p, s, ends[p]))
            assert not rest - full, list((rest - full).items())[:3]
            committed = Counter({k: n for k, n in (Counter(run(p, s, min(later))) & full).items()
                                 if '"stage": "RequestReceived"' not in k})
            assert not committed - rest, list((committed - rest).items())[:3]

    # no record left unjudged
    # (a record has a verdict or an error record of its own, or its auditID
    # is in a verdict: a RequestReceived stage is reported at its later
    # stage)
    seen, at = set(), set()
    for r in (json.loads(k) for k in total):
        body = r.get('event') or r.get('error')
        if body and body.get('source'):
            at.add(tuple(body['source']))
        if 'event' in r:
            seen.add(r['event']['auditID'])
    unjudged = [(i, recs[i][2]) for i, (p, off) in enumerate(placed)
                if (p, off) not in at and not (recs[i][2] and all(a in seen for a in recs[i][2]))]
    assert not unjudged, unjudged[:5]

    # the union against one run per partition
    def key(k):
        r = json.loads(k)
        return r.get('id') or k
    union = {key(k): k for k in total}
    ref = {}
    for p in ends:
        for k in run(p, 0, ends[p]):
            ref[key(k)] = k
    extra = sorted(set(union) - set(ref))
    missing = sorted(set(ref) - set(union))
    changed = sorted(k for k in set(union) & set(ref) if union[k] != ref[k])
    print('correlation windows that span the rebalance: %d verdicts only after it, '
          '%d only in the uncut run, %d judged differently' % (
              len(extra), len(missing), len(changed)))
    users_before = {}
    for p, cs in cuts.items():
        for c in cs:
            users_before[(p, c)] = set(recs[i][0] for i in by_part[p][:c])
    for label, ks, src in (('after the cut only', extra, union),
                           ('uncut run only', missing, ref),
                           ('judged differently after the cut', changed, union)):
        for k in ks:
            r = json.loads(src[k])
            print('  %s: %s' % (label, src[k][:300]))
            if k in changed:
                print('    uncut run: %s' % ref[k][:300])
            assert 'event' in r, 'an error record differs: %s' % src[k]
            p, off = r['event']['source']
            user = ((r.get('evidence') or {}).get('user') or {}).get('username', '')
            # a cut before it, and state to lose: the principal's earlier
            # events, or the session clock (a RequestReceived stage held or
            # released by the time other principals' events set)
            assert any(c <= off and (user in users_before[(p, c)] or
                                     r['event']['stage'] == 'RequestReceived')
                       for c in cuts.get(p, [])), 'not explained by a cut: %s' % src[k]
    # the rest is equal without the id member too
    listed = set(extra) | set(missing) | set(changed)

    def noid(d):
        return sorted(json.dumps(dict(json.loads(v), id=None), sort_keys=True)
                      for k, v in d.items() if k not in listed)
    a, b = noid(union), noid(ref)
    assert a == b, (len(a), len(b), sorted(set(a) - set(b))[:2], sorted(set(b) - set(a))[:2])


if __name__ == '__main__':
    main()

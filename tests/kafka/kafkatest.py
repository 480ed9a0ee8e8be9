"""Shared pieces of the kag-kafka test and benchmark: the mock cluster
(mock-cluster.c, librdkafka's mock brokers in a process of their own), the
corpus keyed by user.username, kag-kafka processes and their logs, and
kag-triage runs over the same records partitioned the same way."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TOPIC = 'kag-audit'
MAX_RECORD = 65536  # --max-record of the tests (one corpus record is longer)


def need(*names):
    """The environment variables the test needs; exit 77 (skipped) when the
    program they name was not built."""
    vals = []
    for n in names:
        v = os.environ.get(n, '')
        if not v or not os.path.exists(v):
            print('%s not built: skipped' % n)
            sys.exit(77)
        vals.append(v)
    return vals


class Cluster:
    """librdkafka's mock cluster, driven over the harness's stdin/stdout."""

    def __init__(self, harness, partitions=6, brokers=3, verdict_topic=None):
        self.partitions = partitions
        self.p = subprocess.Popen([harness, '--brokers=%d' % brokers, '--topic=' + TOPIC,
                                   '--partitions=%d' % partitions] +
                                  (['--verdict-topic=' + verdict_topic] if verdict_topic else []),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().split()
        assert line and line[0] == 'bootstraps', line
        self.bootstraps = line[1]

    def ask(self, cmd, expect):
        self.p.stdin.write(cmd + '\n')
        self.p.stdin.flush()
        line = self.p.stdout.readline().split()
        assert line and line[0] == expect, (cmd, line)
        return {int(a.split(':')[0]): int(a.split(':')[1]) for a in line[1:]}

    def produce(self, infile, mapfile, rate, on_progress=None):
        """Produce infile's "KEY<TAB>VALUE" lines; returns [(partition,
        offset)] in input order."""
        self.p.stdin.write('produce %s %s %s %g\n' % (TOPIC, infile, mapfile, rate))
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline().split()
            assert line, 'the mock cluster died'
            if line[0] == 'progress':
                if on_progress:
                    on_progress(int(line[1]))
                continue
            assert line[0] == 'produced', line
            break
        with open(mapfile) as f:
            return [tuple(int(x) for x in l.split()) for l in f]

    def consume(self, topic, partitions, path):
        """Every record of a topic: [(key, value)]."""
        self.p.stdin.write('consume %s %d %s\n' % (topic, partitions, path))
        self.p.stdin.flush()
        line = self.p.stdout.readline().split()
        assert line and line[0] == 'consumed', line
        with open(path) as f:
            recs = [tuple(l.rstrip('\n').split('\t', 1)) for l in f]
        assert len(recs) == int(line[1]), (len(recs), line)
        return recs

    def ends(self):
        return self.ask('ends ' + TOPIC, 'ends')

    def committed(self, group):
        return self.ask('committed %s %s' % (group, TOPIC), 'committed')

    def wait_committed(self, group, ends, timeout):
        deadline = time.time() + timeout
        while True:
            c = self.committed(group)
            if all(c.get(p, -1) == e for p, e in ends.items()):
                return c
            if time.time() > deadline:
                raise AssertionError('committed %r, ends %r' % (c, ends))
            time.sleep(0.2)

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def corpus(sample, gen, events, max_record):
    """The records, [(key, value, [auditIDs])]: a seeded benign stream with
    attacks (tests/benign/gen.py) and the bundled sample, each event one
    record keyed by its user.username, plus an EventList of one user, a
    record that is not JSON, one of the wrong shape and one longer than
    max_record (each an error record)."""
    out = subprocess.run([sys.executable, gen, '--seed', '7', '--events', str(events)],
                         check=True, capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if l.strip()]
    # the sample is later (May against March): after, so that time goes on
    lines += [l.rstrip('\n') for l in open(sample) if l.strip()]
    recs = []
    for i, line in enumerate(lines):
        # the sample's records as they are (one has a raw control character)
        try:
            ev = json.loads(line, strict=False)
        except ValueError:
            ev = {}  # a broken record: an error record
        key = (ev.get('user') or {}).get('username', '')
        recs.append((key, line, [ev['auditID']] if 'auditID' in ev else []))
        if i == len(lines) // 3:
            lst = [dict(ev, auditID='list-%d' % j) for j in range(2)]
            recs.append((key, json.dumps({'kind': 'EventList', 'apiVersion': 'audit.k8s.io/v1',
                                          'items': lst}, separators=(',', ':')),
                         ['list-0', 'list-1']))
        if i == len(lines) // 2:
            recs.append(('mallory', '{"kind":"Event","auditID":"bad-json" "stage":1}',
                         ['bad-json']))
            recs.append(('mallory', '{"kind":"Event","apiVersion":"audit.k8s.io/v1",'
                         '"auditID":"bad-shape","verb":7}', ['bad-shape']))
            big = dict(ev, auditID='too-long',
                       annotations={'pad': 'x' * (max_record + 10)})
            recs.append((key, json.dumps(big, separators=(',', ':')), ['too-long']))
    return recs


def write_records(path, recs):
    with open(path, 'w') as f:
        for key, value, _ in recs:
            assert '\t' not in key and '\n' not in value  # the first tab ends the key
            f.write('%s\t%s\n' % (key, value))


class Consumer:
    """One kag-kafka process of the group."""

    def __init__(self, prog, bootstraps, group, workdir, name, extra=(), output=None):
        self.name = name
        self.out = os.path.join(workdir, name + '.jsonl')
        self.err = os.path.join(workdir, name + '.err')
        self.metrics = os.path.join(workdir, name + '.prom')
        self.args = [prog, '--brokers=' + bootstraps, '--group=' + group, '--topic=' + TOPIC,
                     output or '--output=' + self.out, '--metrics-file=' + self.metrics,
                     '--metrics-every=1'] + list(extra)
        self.p = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                  stderr=open(self.err, 'w'))

    def metric(self, name):
        """A value of the last metrics file written, or None."""
        try:
            text = open(self.metrics).read()
        except OSError:
            return None
        m = re.search(r'^%s(?:\{[^}]*\})? (\S+)$' % re.escape(name), text, re.M)
        return float(m.group(1)) if m else None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        self.p.send_signal(sig)
        return self.p.wait(timeout=timeout)

    def segments(self):
        """What the process judged, from its log: {partition: [[first,
        next or None]]}, None when the stream was never finished."""
        segs = {}
        for line in open(self.err):
            m = re.match(r'kag-kafka: %s/(\d+): judging from offset (\d+)$' % TOPIC, line)
            if m:
                segs.setdefault(int(m.group(1)), []).append([int(m.group(2)), None])
                continue
            m = re.match(r'kag-kafka: %s/(\d+): judged offsets (\d+)\.\.(\d+)' % TOPIC, line)
            if m:
                s = segs[int(m.group(1))][-1]
                assert s[0] == int(m.group(2)) and s[1] is None, (self.name, line)
                s[1] = int(m.group(3))
        return segs

    def records(self):
        """The records written; a line cut short by SIGKILL is dropped."""
        recs = []
        for line in open(self.out):
            if line.endswith('\n'):
                recs.append(json.loads(line))
        return recs


SOURCE_KAFKA = re.compile(r'^%s/(\d+)@(\d+)(?::\d+)?$' % TOPIC)
SOURCE_FILE = re.compile(r'^(.*):(\d+)$')


def where(rec, file_offsets=None):
    """(partition, offset) a record is about, from its source."""
    src = (rec.get('event') or rec.get('error') or {}).get('source')
    if src is None:
        return None
    m = SOURCE_KAFKA.match(src)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = SOURCE_FILE.match(src)
    assert m and file_offsets is not None, src
    return file_offsets[int(m.group(2)) - 1]


def norm(rec, file_offsets=None, drop_id=False):
    """A record as a comparable string: its source replaced by (partition,
    offset)."""
    rec = json.loads(json.dumps(rec))
    at = where(rec, file_offsets)
    body = rec.get('event') or rec.get('error')
    if body is not None:
        body['source'] = at
    if 'error' in rec:
        # the code and the record it is about; the message and the position
        # describe where in the input the parser stopped, which differs
        # between a record alone and the same record in a file
        rec['error'] = {k: v for k, v in rec['error'].items() if k in ('code', 'source')}
    if drop_id:
        rec.pop('id', None)
    return json.dumps(rec, sort_keys=True)


def triage(prog, args, lines, offsets, path):
    """kag-triage over lines (record values) in one file; its records with
    the sources mapped to offsets[i] = (partition, offset) of line i + 1."""
    with open(path, 'w') as f:
        for l in lines:
            f.write(l + '\n')
    out = subprocess.run([prog] + args + [path], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    return [json.loads(l) for l in out.stdout.splitlines()], offsets


def judge_files(work):
    """The judging options of the tests (kag-kafka and kag-triage alike):
    --all, repeats not suppressed (every event has its own verdict) and a
    catch-all info rule, so that every event has a verdict naming it."""
    policy = os.path.join(work, 'policy.json')
    rules = os.path.join(work, 'rules.json')
    with open(policy, 'w') as f:
        json.dump({'windows': {'repeat': 0}}, f)
    with open(rules, 'w') as f:
        json.dump({'version': 1, 'rules': [{
            'id': 'record_seen', 'title': 'Every record', 'description': 'test marker',
            'assessment': 'benign', 'severity': 'info', 'attack': [], 'decisive': ['verb'],
            'match': {'field': 'verb', 'exists': True}}]}, f)
    return ['--all', '--policy=' + policy, '--rules=' + rules]


def partitions(placed, ends):
    """{partition: [record index by offset]} from where the records went."""
    by_part = {p: [None] * n for p, n in ends.items()}
    for i, (p, off) in enumerate(placed):
        by_part[p][off] = i
    assert all(i is not None for ids in by_part.values() for i in ids)
    return by_part


def reference(prog, args, recs, by_part, p, start, end, work, max_record):
    """kag-triage over partition p's records [start, end), normalised
    (norm()). A record over max_record never reaches a parser in kag-kafka:
    a blank line here (it judges nothing), its error record added."""
    idx = by_part[p][start:end]
    path = os.path.join(work, 'part-%d-%d-%d.jsonl' % (p, start, end))
    out, _ = triage(prog, args, ['' if len(recs[i][1]) > max_record else recs[i][1]
                                 for i in idx], None, path)
    offsets = [(p, off) for off in range(start, end)]
    res = [norm(r, offsets) for r in out]
    for off in range(start, end):
        if len(recs[by_part[p][off]][1]) > max_record:
            res.append(json.dumps({'error': {'code': 'KAG_ELIMIT', 'source': [p, off]}},
                                  sort_keys=True))
    return res


class Setup:
    """What both tests start from: the programs (exit 77 when kag-kafka is
    not built), a work directory, the judging options and the corpus of
    `events` generated events in records.tsv."""

    def __init__(self, prefix, events, max_record):
        (self.prog, self.triage, self.harness, sample, gen) = need(
            'KAG_KAFKA', 'KAG_TRIAGE', 'KAG_KAFKA_MOCK', 'KAG_SAMPLE', 'KAG_BENIGN_GEN')
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.judge_args = judge_files(self.work)
        self.recs = corpus(sample, gen, events, max_record)
        self.infile = os.path.join(self.work, 'records.tsv')
        write_records(self.infile, self.recs)

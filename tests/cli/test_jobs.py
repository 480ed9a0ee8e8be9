#!/usr/bin/env python3
"""kag-triage --jobs N prints byte for byte what --jobs 1 prints: the same
verdicts, correlations, error records (line numbers, offsets, messages) and
summary, in the same order. Checked over the corpus (tests/data), a generated
stream built to exercise cross-record state (bursts per principal, stages of
one request far apart, requests seen only at RequestReceived, events without
a time, late events, CSRs created and approved by different users), and a
stream of every framing case the parser knows. Progress goes to stderr only
when stderr is a terminal."""
import base64
import gzip
import json
import os
import pty
import random
import select
import subprocess
import tempfile
import time
import unittest

from clitest import TRIAGE, CliCase, errors, json_lines, run, status_of, triage, verdicts

DATA = os.environ.get('KAG_TEST_DATA', '')
JOBS = ('2', '3', '4')


def corpus_files():
    out = []
    for root, _dirs, files in os.walk(DATA):
        for name in files:
            if not name.endswith('.md'):
                out.append(os.path.join(root, name))
    return sorted(out)


# ---- a generated stream ----

USERS = (['alice@example.com', 'bob@example.com', 'mallory@example.com', 'system:anonymous',
          'system:kube-controller-manager', 'system:kube-scheduler', 'eks:node-manager']
         + ['system:node:node-%02d' % i for i in range(6)]
         + ['system:serviceaccount:%s:%s' % (ns, sa) for ns in ('default', 'prod', 'kube-system')
            for sa in ('default', 'deployer', 'builder')])


def ts(us):
    secs, frac = divmod(us, 1000000)
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(secs)) + '.%06dZ' % frac


def generated_stream(n_requests=6000, seed=7):
    """JSON lines; some requests logged at two stages, some out of order."""
    rnd = random.Random(seed)
    now = 1714557600000000
    held = []        # later stages written some requests later
    lines = []
    for i in range(n_requests):
        now += rnd.randint(0, 400000)
        user = rnd.choice(USERS)
        kind = rnd.random()
        ev = {'kind': 'Event', 'apiVersion': 'audit.k8s.io/v1', 'level': 'Metadata',
              'auditID': '%08x-0000-4000-8000-%012x' % (rnd.getrandbits(32), i),
              'stage': 'ResponseComplete', 'verb': 'get',
              'user': {'username': user, 'groups': ['system:authenticated']},
              'sourceIPs': [rnd.choice(['10.0.0.7', '203.0.113.9', '198.51.100.20'])],
              'userAgent': rnd.choice(['kubectl/v1.30.2', 'curl/8.5.0', 'kubelet/v1.30.2']),
              'objectRef': {'resource': 'pods', 'namespace': rnd.choice(['default', 'prod',
                                                                          'kube-system']),
                            'apiVersion': 'v1'},
              'responseStatus': {'metadata': {}, 'code': 200},
              'annotations': {'authorization.k8s.io/decision': 'allow'}}
        if kind < 0.15:       # secret reads, bursts of distinct names
            ev['verb'] = rnd.choice(['get', 'list', 'watch'])
            ev['objectRef'].update(resource='secrets', name='s-%d' % rnd.randint(0, 30))
        elif kind < 0.30:     # denials, bursts per principal
            ev['verb'] = rnd.choice(['list', 'get', 'create'])
            ev['objectRef']['resource'] = rnd.choice(['secrets', 'clusterroles', 'nodes', 'pods'])
            ev['responseStatus'] = {'code': 403, 'status': 'Failure', 'reason': 'Forbidden'}
            ev['annotations'] = {'authorization.k8s.io/decision': 'forbid'}
        elif kind < 0.36:     # exec
            ev['verb'] = 'create'
            ev['objectRef'].update(subresource='exec', name='api-%d' % rnd.randint(0, 9))
            ev['requestURI'] = '/api/v1/namespaces/prod/pods/api/exec?command=sh&stdin=true'
            ev['stage'] = 'ResponseStarted'
            ev['responseStatus'] = {'code': 101}
        elif kind < 0.42:     # CSRs: created by one user, approved by another
            name = 'csr-%d' % rnd.randint(0, 15)
            ev['objectRef'] = {'resource': 'certificatesigningrequests', 'name': name,
                               'apiGroup': 'certificates.k8s.io', 'apiVersion': 'v1'}
            if rnd.random() < 0.5:
                ev['verb'] = 'create'
                ev['level'] = 'Request'
                ev['requestObject'] = {
                    'kind': 'CertificateSigningRequest', 'metadata': {'name': name},
                    'spec': {'signerName': 'kubernetes.io/kube-apiserver-client',
                             'usages': ['client auth'], 'request': 'LS0t'}}
            else:
                ev['verb'] = 'update'
                ev['objectRef']['subresource'] = 'approval'
        elif kind < 0.47:     # RBAC bindings and pods created in kube-system
            ev['verb'] = 'create'
            ev['level'] = 'RequestResponse'
            ev['objectRef'] = {'resource': 'clusterrolebindings', 'name': 'b-%d' % i,
                               'apiGroup': 'rbac.authorization.k8s.io', 'apiVersion': 'v1'}
            ev['requestObject'] = {
                'kind': 'ClusterRoleBinding', 'metadata': {'name': 'b-%d' % i},
                'roleRef': {'kind': 'ClusterRole', 'name': rnd.choice(['cluster-admin', 'view'])},
                'subjects': [{'kind': 'User', 'name': rnd.choice(USERS)}]}
            ev['responseStatus'] = {'code': 201}
        elif kind < 0.50:     # impersonation
            ev['impersonatedUser'] = {'username': rnd.choice(USERS),
                                      'groups': rnd.choice([['system:masters'], []])}
        # times: most present; some only requestReceivedTimestamp, some none,
        # some late (behind the stream's clock)
        t = now - (rnd.randint(0, 60000000) if rnd.random() < 0.05 else 0)
        r = rnd.random()
        if r < 0.9:
            ev['requestReceivedTimestamp'] = ts(t)
            ev['stageTimestamp'] = ts(t + 1500)
        elif r < 0.95:
            ev['requestReceivedTimestamp'] = ts(t)
        # stages: RequestReceived now, the final stage later or never
        s = rnd.random()
        if s < 0.08:
            first = dict(ev, stage='RequestReceived')
            first.pop('responseStatus', None)
            first.pop('annotations', None)
            lines.append(first)
            if s < 0.07:
                held.append((i + rnd.randint(1, 400), ev))
        else:
            lines.append(ev)
        while held and held[0][0] <= i:
            lines.append(held.pop(0)[1])
            held.sort(key=lambda h: h[0])
        if rnd.random() < 0.003:  # a long quiet spell: held requests expire
            now += 300000000
    lines.extend(h[1] for h in held)
    return b''.join(json.dumps(e, separators=(',', ':')).encode() + b'\n' for e in lines)


# ---- every framing case ----

def framing_stream():
    ev = ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s","stage":"ResponseComplete",'
          '"verb":"create","user":{"username":"alice@example.com"},"objectRef":{"resource":"pods",'
          '"subresource":"exec","namespace":"prod","name":"api"},"responseStatus":{"code":101},'
          '"stageTimestamp":"2024-05-01T10:00:%02d.000000Z"}')
    one = lambda n: (ev % ('f-%d' % n, n % 60)).encode()
    payload = json.dumps({'messageType': 'DATA_MESSAGE', 'logGroup': '/aws/eks/c/cluster',
                          'logStream': 'kube-apiserver-audit-1',
                          'logEvents': [{'id': '1', 'timestamp': 1714557600000,
                                         'message': one(90).decode()}]}).encode()
    b64 = base64.b64encode(gzip.compress(payload, mtime=0))
    pretty = json.dumps(json.loads(one(91)), indent=2).encode()
    big = json.loads(one(92))
    big['requestObject'] = {'data': {'k': 'x' * 400000}}
    big['level'] = 'Request'
    parts = [
        b'\xef\xbb\xbf' + one(1),                       # a BOM
        one(2) + b'\r',                                  # CRLF
        b'',                                             # blank lines
        b'   \t',
        b'node-1.example.internal ' + one(3),            # oc adm node-logs prefix
        b'this is not JSON',
        b'42',
        b'"a string"',
        b'{"kind":"Event","auditID":"trunc","verb":"get"',  # broken by the next record
        one(4),
        b'{"kind":"Event","auditID":"nl","user":{"username":"a',  # newline in a string
        b'b"},"verb":"get"}',
        b'{"kind":"Event","auditID":"esc","verb":"get","user":{"username":"a\\',  # escaped
        b'b"}}',
        one(5) + b' ' + one(6),                          # two records on one line
        pretty,                                          # pretty printed
        b'[',                                            # array, items at column 0
        one(7) + b',',
        one(8),
        b']',
        b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' + one(9) + b',' +
        one(10) + b']}',
        b'[{"not":"an event"}, ' + one(11) + b']',
        b64,                                             # base64 gzip CloudWatch payload
        b'H4sIthis-is-not-base64',
        json.dumps(big).encode(),                        # longer than a piece is held
        one(12),
        b'{"kind":"Event","auditID":"dup","verb":"get","verb":"list"}',
        b'\xff\xfe not UTF-8',
        b'{"kind":"Event","auditID":"deep","requestObject":' + b'[' * 80 + b']' * 80 + b'}',
        one(13),
        # lines inside a record that start as a record or a text line
        # would: the input is cut there, and read again from the piece
        # before the cut
        b'{"kind":"Event","auditID":"f-14","verb":"create","objectRef":{"resource":"pods",',
        b'"subresource":"exec","namespace":"prod","name":"api"},"responseStatus":{"code":',
        b'101},"user":{"username":"alice@example.com"},"level":',
        b'null}',
        b'{"kind":"Event","auditID":"esc2","user":{"username":"a\\',  # escaped line end
        b'{"kind":"Event","auditID":"after-esc2","verb":"get"}',
        # a column-0 array longer than a batch, then one whose items are
        # long enough to be read as long pieces
        b'[',
        b',\n'.join(one(n) for n in range(100, 140)),
        b']',
        b'[',
        one(150) + b',',
        json.dumps(dict(big, auditID='f-151')).encode() + b',',
        one(152),
        b']',
        # a long line that ends inside its record, the record ending on
        # lines that are batched
        json.dumps(dict(big, auditID='f-153'))[:-1].encode() + b',"n":[',
        b'1,2]}',
        one(154),
        b'{"kind":"Event","auditID":"open","verb":"get","user":{',  # truncated at the end
    ]
    return b'\n'.join(parts)


def random_stream(seed):
    """Records of every shape in a random order, so that cuts fall inside
    records in every way: at column 0 in arrays and unindented documents,
    after escaped line ends, at read boundaries."""
    rnd = random.Random(seed)
    ev = ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"r-%d","stage":'
          '"ResponseComplete","verb":"%s","user":{"username":"%s"},"objectRef":{"resource":'
          '"%s","namespace":"prod","name":"n-%d"},"responseStatus":{"code":%d},'
          '"stageTimestamp":"2024-05-01T10:%02d:%02d.000000Z"}')
    count = [0]

    def one():
        count[0] += 1
        n = count[0]
        return (ev % (n, rnd.choice(['get', 'list', 'create', 'delete']),
                      rnd.choice(USERS), rnd.choice(['pods', 'secrets', 'configmaps']),
                      n % 7, rnd.choice([200, 403, 201]), n // 60 % 60, n % 60)).encode()

    def pick():
        k = rnd.random()
        if k < 0.55:
            return one()
        if k < 0.60:
            return json.dumps(json.loads(one()), indent=rnd.choice([0, 1, 2])).encode()
        if k < 0.65:
            return b'[\n' + b',\n'.join(one() for _ in range(rnd.randint(1, 12))) + b'\n]'
        if k < 0.68:
            return b'[' + b', '.join(one() for _ in range(rnd.randint(1, 5))) + b']'
        if k < 0.72:
            return one()[:rnd.randint(1, 200)]                 # cut short
        if k < 0.75:
            r = one()
            i = r.index(b'"username":"') + 14
            return r[:i] + b'\\\n' + r[i:]                     # escaped line end
        if k < 0.78:
            return b'node-%d.internal ' % rnd.randint(0, 9) + one()
        if k < 0.81:
            return rnd.choice([b'not json', b'42', b'true', b'"s"', b'', b'  ', b'\r'])
        if k < 0.84:
            r = one()
            i = rnd.randint(1, len(r) - 1)
            return r[:i] + b'\n' + rnd.choice([b'1', b'x', b'[', b'{', b'true']) + r[i:]
        if k < 0.86:
            return (b'{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' +
                    b','.join(one() for _ in range(rnd.randint(0, 4))) + b']}')
        if k < 0.87:
            r = json.loads(one())
            r['requestObject'] = {'data': 'y' * rnd.randint(200000, 300000)}
            return json.dumps(r).encode()
        return one() + b' ' + one()

    parts = [pick() for _ in range(rnd.randint(300, 1500))]
    return rnd.choice([b'', b'\xef\xbb\xbf']) + b'\n'.join(parts) + rnd.choice([b'', b'\n'])


def long_lines_stream():
    """Generated lines around a line longer than the parser's record limit,
    a record of 600 KiB after a node-name prefix, a text line of 300 KiB and
    that record cut short."""
    around = generated_stream(400, seed=11).split(b'\n')
    long_json = (b'{"kind":"Event","auditID":"long","verb":"create","objectRef":{"resource":'
                 b'"pods","subresource":"exec","namespace":"prod","name":"api"},"user":'
                 b'{"username":"alice@example.com"},"responseStatus":{"code":101},'
                 b'"requestObject":{"a":"' + b'z' * (600 << 10) + b'"}}')
    parts = (around[:100] + [b'y' * (17 << 20)] + around[100:200] +
             [b'node-7 ' + long_json, b'x' * (300 << 10)] + around[200:300] +
             [long_json[:-2]] + around[300:])
    return b'\n'.join(parts)


class Jobs(CliCase):
    def same(self, args, stdin=None, what=''):
        """Run --jobs 1 and every JOBS; the outputs are the same bytes."""
        ref = triage('--jobs=1', *args, stdin=stdin)
        status = status_of(ref.stdout)
        self.assertExit(ref, status, '%s --jobs=1' % what)
        for j in JOBS:
            got = triage('--jobs=' + j, *args, stdin=stdin)
            self.assertExit(got, status, '%s --jobs=%s' % (what, j))
            if got.stdout != ref.stdout:
                a, b = ref.stdout.splitlines(), got.stdout.splitlines()
                n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]),
                         min(len(a), len(b)))
                self.fail('%s: --jobs=%s differs from --jobs=1 at output line %d of %d/%d:\n'
                          '%r\n%r' % (what, j, n + 1, len(a), len(b),
                                      a[n][:300] if n < len(a) else None,
                                      b[n][:300] if n < len(b) else None))
            self.assertEqual(got.stderr, ref.stderr, what)
        return ref

    def test_corpus(self):
        files = corpus_files()
        self.assertGreaterEqual(len(files), 50)
        ref = self.same(['--all', '--summary'] + files, what='corpus')
        records = json_lines(ref, self)
        s = records[-1]['summary']
        self.assertGreater(s['judged'], 300)
        self.assertGreater(s['rejected'], 0)
        self.assertGreater(len(verdicts(records)), 250)
        # also as text, and as one stream on stdin (formats mixed)
        self.same(['--output=text', '--summary'] + files, what='corpus as text')
        blob = b''
        for name in files:
            with open(name, 'rb') as f:
                blob += f.read().rstrip(b'\n') + b'\n'
        self.same(['--all', '--summary', '-'], stdin=blob, what='corpus on stdin')

    def test_generated_stream(self):
        blob = generated_stream()
        ref = self.same(['--all', '--summary', '-'], stdin=blob, what='generated')
        records = json_lines(ref, self)
        v = verdicts(records)
        s = records[-1]['summary']
        self.assertGreater(s['judged'], 6000)
        self.assertGreater(s['duplicates'], 100)
        # the state that must match was exercised
        self.assertTrue(any(x.get('correlation') for x in v), 'no correlated verdict')
        detectors = {x['detector'] for x in v}
        for d in ('rbac_probing', 'secrets_access', 'interactive_access', 'credential_minting',
                  'impersonation', 'rbac_escalation'):
            self.assertIn(d, detectors)
        self.same(['--summary', '-'], stdin=blob, what='generated, findings only')

    def test_framing(self):
        blob = framing_stream()
        # every record judged shows: repeats are returned as they come
        with tempfile.NamedTemporaryFile('w', suffix='.json') as pol:
            pol.write('{"version": 1, "windows": {"repeat": 0}}')
            pol.flush()
            ref = self.same(['--all', '--summary', '--policy=' + pol.name, '-'], stdin=blob,
                            what='framing')
        records = json_lines(ref, self)
        codes = sorted(e['error']['code'] for e in errors(records))
        self.assertIn('KAG_ETRUNCATED', codes)
        self.assertIn('KAG_EPARSE', codes)
        self.assertIn('KAG_ESCHEMA', codes)
        self.assertIn('KAG_ELIMIT', codes)
        judged = {x['event']['auditID'] for x in verdicts(records)}
        for n in ((1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 90, 91, 92)
                  + tuple(range(100, 140)) + (150, 151, 152, 153, 154)):
            self.assertIn('f-%d' % n, judged)
        # each error at its own line and offset, as --jobs 1 reports them
        for e in errors(records):
            self.assertIn('offset', e['error'])
        # and the same split across files
        self.same(['--output=text', '-'], stdin=blob, what='framing as text')

    def test_random_framing(self):
        # every piece the input is cut into is checked where it is parsed,
        # and read again when it did not end between records
        for seed in range(12):
            blob = random_stream(seed)
            ref = self.same(['--all', '--summary', '-'], stdin=blob, what='random %d' % seed)
            records = json_lines(ref, self)
            self.assertGreater(records[-1]['summary']['judged'], 100)
            self.assertTrue(errors(records), 'random %d: no rejected record' % seed)

    def test_long_lines(self):
        # Lines longer than a piece is held are read as the sequential path
        # reads them; one longer than the parser's record limit is dropped
        # while it is still being read.
        ref = self.same(['--all', '--summary', '-'], stdin=long_lines_stream(),
                        what='long lines')
        records = json_lines(ref, self)
        codes = [e['error']['code'] for e in errors(records)]
        self.assertEqual(codes, ['KAG_ELIMIT', 'KAG_EPARSE', 'KAG_ETRUNCATED'], codes)
        self.assertIn('long', {x['event']['auditID'] for x in verdicts(records)})

    def test_regular_file(self):
        # A regular file is read with reads that need not wait for judging
        # (--jobs 2): its output is that of the same bytes through a pipe,
        # with lines longer than a piece is held, and a file read from an
        # offset that is not its start.
        blob = (generated_stream(6000, seed=3) + long_lines_stream() + b'\n' +
                generated_stream(6000, seed=4))
        self.assertGreater(len(blob), 20 << 20)
        with tempfile.NamedTemporaryFile(suffix='.jsonl') as f:
            f.write(blob)
            f.flush()
            for skip in (0, 4097):
                for jobs in ('1', '2'):
                    args = [TRIAGE, '--jobs=' + jobs, '--all', '--summary', '-']
                    ref = run(args, stdin=blob[skip:])
                    f.seek(skip)
                    got = subprocess.run(args, stdin=f, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, timeout=120, check=False)
                    what = 'file from %d, --jobs=%s' % (skip, jobs)
                    self.assertEqual(got.returncode, ref.returncode, what)
                    self.assertEqual(got.stderr, ref.stderr, what)
                    self.assertTrue(got.stdout == ref.stdout, what + ': outputs differ')
                    self.assertGreater(len(verdicts(json_lines(ref, self))), 1000, what)

    def test_default_and_parallel_same(self):
        """--jobs defaults to 1 (a second parsing thread is slower on a busy
        two-core host); asked for, threads give the same bytes."""
        blob = generated_stream(1500, seed=3)
        ref = triage('--jobs=2', '--all', '-', stdin=blob)
        got = triage('--all', '-', stdin=blob)
        self.assertExit(got, status_of(got.stdout), 'default --jobs')
        self.assertEqual(got.stdout, ref.stdout)
        self.assertIn(b'default 1', triage('--help').stdout)

    def test_bad_jobs(self):
        for bad in ('--jobs=0', '--jobs=', '--jobs=x', '--jobs=2x', '--jobs=257', '--jobs=-1'):
            p = triage(bad, stdin=b'')
            self.assertExit(p, 2, bad)
            self.assertIn(b'--jobs', p.stderr)

    def slow_run(self, jobs, stderr_tty):
        """Feed half a stream, wait over a second, feed the rest: long enough
        for progress. Returns (stdout, what stderr showed)."""
        blob = generated_stream(3000, seed=5)
        half = len(blob) // 2
        if stderr_tty:
            master, slave = pty.openpty()
            err_target = slave
        else:
            err_target = subprocess.PIPE
        out_file = tempfile.TemporaryFile()
        p = subprocess.Popen([TRIAGE, '--jobs=%d' % jobs, '-'], stdin=subprocess.PIPE,
                             stdout=out_file, stderr=err_target)
        if stderr_tty:
            os.close(slave)
        p.stdin.write(blob[:half])
        p.stdin.flush()
        time.sleep(1.3)
        p.stdin.write(blob[half:])
        p.stdin.close()
        shown = b''
        if stderr_tty:
            while True:
                r, _, _ = select.select([master], [], [], 5)
                if not r:
                    break
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                shown += chunk
            os.close(master)
        else:
            shown = p.stderr.read()
            p.stderr.close()
        self.assertEqual(p.wait(timeout=60), 0)
        out_file.seek(0)
        out = out_file.read()
        out_file.close()
        return out, shown

    def test_progress_only_on_a_terminal(self):
        for jobs in (1, 2):
            out, shown = self.slow_run(jobs, stderr_tty=False)
            self.assertEqual(shown, b'', 'progress written to a pipe (--jobs=%d)' % jobs)
            out_tty, shown = self.slow_run(jobs, stderr_tty=True)
            self.assertIn(b'events/s', shown, '--jobs=%d' % jobs)
            self.assertIn(b'findings', shown)
            self.assertTrue(shown.endswith(b'\r\x1b[K'), 'progress line left on the terminal')
            self.assertEqual(out, out_tty)


if __name__ == '__main__':
    unittest.main()

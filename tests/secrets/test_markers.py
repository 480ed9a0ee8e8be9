"""The secret-marker suite: every tool, mode and binding over the marker
streams of markers.py; no output may hold a marker.

    test_markers.py tools    kag-triage and kag-filter (KAG_TRIAGE, KAG_FILTER)
    test_markers.py python   the ctypes binding (KAG_LIBRARY, KAG_PYTHON_DIR)

The streams come from KAG_SECRET_STREAMS (the directory markers.py wrote at
build time), else are written to a temporary directory. Every output is
searched for "KAGSECRET", which every marker holds (so a marker cut short
is found too); a leak is reported with the places its markers were planted
in. So that nothing passes by reading nothing, the tests also check that
every marker is in the input, that the exec records are judged with
commandFindings "credential", that the URIs are shown with "<redacted>",
that opted-in bodies are shown redacted, and that every malformed record
gives an error record.
"""
import atexit
import base64
import gzip
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(HERE, '..', 'cli'))
import markers  # noqa: E402
from clitest import status_of  # noqa: E402

TRIAGE = os.environ.get('KAG_TRIAGE', '')
FILTER = os.environ.get('KAG_FILTER', '')
TIMEOUT = 60.0
NEEDLE = b'KAGSECRET'
MARKER_RE = re.compile(rb'KAGSECRET-[A-Za-z0-9_-]+-' + markers.SUFFIX.encode() +
                       rb'|AKIAKAGSECRET[0-9]{3}' + markers.SUFFIX.upper().encode())


def stream_dir():
    d = os.environ.get('KAG_SECRET_STREAMS')
    if d:
        return d
    tmp = tempfile.mkdtemp(prefix='kag-secrets-')
    atexit.register(shutil.rmtree, tmp, True)
    markers.write(tmp)
    return tmp


DIR = stream_dir()
with open(os.path.join(DIR, 'markers.json')) as _f:
    META = json.load(_f)
PLACES = {m['marker']: m['place'] for m in META['markers']}
STREAMS = META['streams']


def path(name):
    return os.path.join(DIR, name)


def read(name):
    with open(path(name), 'rb') as f:
        return f.read()


def leaks(data):
    """The places whose markers data holds ([] when none); a piece of a
    marker counts."""
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    if NEEDLE not in data:
        return []
    found = sorted({PLACES.get(m.decode(), '?') for m in MARKER_RE.findall(data)})
    return found or ['(a piece of a marker)']


def leak_message(what, data):
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    i = data.find(NEEDLE)
    return '%s leaks markers of %s, e.g. ...%r...' % (
        what, ', '.join(leaks(data)), data[max(0, i - 120):i + 60])


def gzip_payload(ln):
    """The decoded payload of a base64+gzip line (bare or as
    {"awslogs":{"data":...}}), or None."""
    if ln.startswith(b'{"awslogs"'):
        ln = json.loads(ln)['awslogs']['data'].encode()
    if not ln.startswith(b'H4sI'):
        return None
    return gzip.decompress(base64.b64decode(ln))


def json_lines(data):
    return [json.loads(x) for x in data.decode('utf-8').splitlines() if x.strip()]


class Checks:
    """Assertions shared by the tools and the binding (a TestCase mixin)."""

    def assertNoMarker(self, what, data):
        if leaks(data):
            self.fail(leak_message(what, data))

    def check_records(self, what, name, records, bodies=False, errors=None, body_ids=None):
        """The positive checks on a stream's records (verdicts and errors as
        dicts): what must have been judged was, as it must have been.
        errors and body_ids replace the stream's own expectations."""
        s = STREAMS[name]
        verdicts = [r for r in records if 'error' not in r and 'error_summary' not in r]
        errs = [r['error'] for r in records if 'error' in r]
        want_errors = s['errors'] if errors is None else errors
        self.assertEqual(len(errs), want_errors, '%s: error records %s' % (what, [
            (e['code'], e['message']) for e in errs]))
        for e in errs:
            self.assertTrue(e['code'].startswith('KAG_E'), e)
        by_id = {}
        for v in verdicts:
            by_id.setdefault(v['event']['auditID'], []).append(v)
        for aid in s['exec']:
            got = [v for v in by_id.get(aid, []) if v['detector'] == 'interactive_access']
            self.assertTrue(got, '%s: %s not judged interactive_access' % (what, aid))
            self.assertIn('credential', got[0]['evidence'].get('commandFindings', []),
                          '%s: %s: %s' % (what, aid, got[0]['evidence']))
            self.assertIn('<redacted>', json.dumps(got[0]['evidence']['command']))
        for aid in s['uri']:
            uris = [v['evidence']['requestURI'] for v in by_id.get(aid, [])]
            self.assertTrue(uris, '%s: %s not judged' % (what, aid))
            for u in uris:
                self.assertIn('<redacted>', u, '%s: %s' % (what, aid))
        if s['probing']:
            self.assertTrue([v for v in verdicts if v['detector'] == 'rbac_probing'
                             and v.get('correlation', {}).get('count', 0) >= 10],
                            '%s: no probing burst' % what)
        for aid in s['annotations']:
            got = by_id.get(aid, [])
            self.assertTrue(got, '%s: %s not judged' % (what, aid))
            for v in got:
                ann = v['evidence']['annotations'] or {}
                self.assertEqual([k for k in ann if k.startswith('patch.webhook') or
                                  k.startswith('kubectl.kubernetes.io/')], [], aid)
                self.assertIn('authorization.k8s.io/decision', ann)
        for aid in s['bodies'] if body_ids is None else body_ids:
            got = by_id.get(aid, [])
            self.assertTrue(got, '%s: %s not judged' % (what, aid))
            for v in got:
                shown = [v['evidence'][k] for k in ('requestObject', 'responseObject')
                         if k in v['evidence']]
                if not bodies:
                    self.assertEqual(shown, [], '%s: %s: a body without opting in' % (what, aid))
                    continue
                self.assertTrue(shown, '%s: %s: no body shown' % (what, aid))
                self.assertIn('<redacted>', json.dumps(shown), '%s: %s' % (what, aid))
        return verdicts, errs


class Planted(unittest.TestCase):
    """The markers are in the input, every one of them."""

    def test_every_marker_planted(self):
        text = b''
        gzipped = 0
        for name in STREAMS:
            for ln in read(name).splitlines():
                text += ln + b'\n'
                data = gzip_payload(ln)
                if data is not None:
                    # base64 of gzip: the markers are in the payload
                    self.assertNotIn(NEEDLE, ln)
                    text += data + b'\n'
                    gzipped += 1
        self.assertGreater(gzipped, 10)
        missing = [m for m in PLACES if m.encode() not in text]
        self.assertEqual(missing, [])
        self.assertGreaterEqual(len(PLACES), 100)
        for m in PLACES:
            self.assertTrue(MARKER_RE.fullmatch(m.encode()), m)
            if PLACES[m].startswith('aws:'):
                self.assertTrue(re.fullmatch(r'AKIA[0-9A-Z]{16}', m), m)

    def test_every_stream_has_records(self):
        for name, s in STREAMS.items():
            self.assertEqual(len(read(name).splitlines()), s['records'], name)
            self.assertGreater(len(s['events']) + s['errors'], 0, name)


# -- the tools ---------------------------------------------------------------

# Every record must be judged and shown: repeats are returned as they come
# (the default policy counts a repeat in its window instead).
NO_REPEATS = '{"version": 1, "windows": {"repeat": 0}}'
NO_REPEATS_FILE = os.path.join(tempfile.mkdtemp(prefix='kag-markers-'), 'no-repeats.json')
with open(NO_REPEATS_FILE, 'w') as _f:
    _f.write(NO_REPEATS)


def run(argv, data=None, env=None):
    if argv and argv[0] and argv[0] in (TRIAGE, FILTER):
        argv = [argv[0], '--policy=' + NO_REPEATS_FILE] + argv[1:]
    return subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=TIMEOUT, env=env)


def has_fast_parser():
    return run([TRIAGE, '--parser=fast', os.devnull]).returncode == 0


# kag-triage modes: (name, arguments, output is JSON with every verdict and
# error record)
TRIAGE_MODES = [
    ('default', [], False),
    ('text', ['--output=text'], False),
    ('all', ['--all', '--error-limit=0'], True),
    ('summary', ['--summary'], False),
    ('text-all-summary', ['--output=text', '--all', '--summary', '--error-limit=0'], False),
    ('jansson', ['--parser=jansson', '--all', '--error-limit=0'], True),
    ('fast', ['--parser=fast', '--all', '--error-limit=0'], True),
    ('jobs1', ['--jobs=1', '--all', '--error-limit=0'], True),
    ('jobs2', ['--jobs=2', '--all', '--error-limit=0'], True),
    ('jobs2-jansson', ['--jobs=2', '--parser=jansson'], False),
    ('error-limit-0', ['--error-limit=0'], False),
    ('error-limit-1', ['--error-limit=1', '--summary'], False),
    ('ocsf', ['--output=ocsf', '--all', '--error-limit=0'], False),
    ('ecs', ['--output=ecs', '--all', '--error-limit=0'], False),
]


@unittest.skipUnless(TRIAGE and FILTER, 'needs KAG_TRIAGE and KAG_FILTER')
class Tools(Checks, unittest.TestCase):
    """kag-triage in every mode, kag-filter plain and confirmed."""

    @classmethod
    def setUpClass(cls):
        cls.fast = has_fast_parser()
        # the tools' own sanitizer settings, not the interpreter's
        cls.env = dict(os.environ)
        cls.env.pop('LD_PRELOAD', None)

    def test_triage(self):
        for mode, args, full in TRIAGE_MODES:
            if '--parser=fast' in args and not self.fast:
                continue
            for name in STREAMS:
                what = 'kag-triage %s %s' % (' '.join(args), name)
                with self.subTest(mode=mode, stream=name):
                    got = run([TRIAGE] + args + [path(name)], env=self.env)
                    self.assertEqual(got.returncode, status_of(got.stdout),
                                     what + ': ' + got.stderr.decode())
                    self.assertNoMarker(what + ' (stdout)', got.stdout)
                    self.assertNoMarker(what + ' (stderr)', got.stderr)
                    if full:
                        self.check_records(what, name, json_lines(got.stdout))

    def test_triage_stdin_and_format(self):
        """From stdin, and with the input shape named."""
        shapes = {'native': 'native', 'eventlist': 'eventlist', 'eks': 'eks', 'aks': 'aks',
                  'gke': 'gke'}
        for name, s in STREAMS.items():
            with self.subTest(stream=name):
                got = run([TRIAGE, '--all', '--error-limit=0', '-'], read(name), env=self.env)
                self.assertEqual(got.returncode, status_of(got.stdout))
                self.assertNoMarker('kag-triage - < ' + name, got.stdout + got.stderr)
                self.check_records('kag-triage - < ' + name, name, json_lines(got.stdout))
                if s['shape'] in shapes:
                    args = ['--format=' + shapes[s['shape']], '--all', path(name)]
                    got = run([TRIAGE] + args, env=self.env)
                    self.assertEqual(got.returncode, status_of(got.stdout))
                    self.assertNoMarker('kag-triage %s' % ' '.join(args),
                                        got.stdout + got.stderr)
                    if s['shape'] != 'eventlist':  # the node-prefixed lines are native
                        self.check_records(' '.join(args), name, json_lines(got.stdout))

    def test_filter_plain(self):
        for args, full in (([], False), (['--all', '--error-limit=0'], True),
                           (['--max-line=65536', '--all', '--error-limit=0'], False)):
            for name in STREAMS:
                what = 'kag-filter %s < %s' % (' '.join(args), name)
                with self.subTest(args=args, stream=name):
                    got = run([FILTER] + args, read(name), env=self.env)
                    # a filter in a pipeline: 0 at end of input, errors or not
                    self.assertEqual(got.returncode, 0, what + ': ' + got.stderr.decode())
                    self.assertNoMarker(what + ' (stdout)', got.stdout)
                    self.assertNoMarker(what + ' (stderr)', got.stderr)
                    records = json_lines(got.stdout)
                    if full:
                        self.check_records(what, name, records)
                    for r in records:
                        if 'event' in r:
                            self.assertIsNone(r['event']['source'])

    def test_filter_confirmed(self):
        """kag-filter --confirm driven as rsyslog's omprog drives it: OK at
        start and after each message; verdicts in --output=FILE."""
        for name in STREAMS:
            with self.subTest(stream=name), tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, 'verdicts.jsonl')
                stdout, stderr, n = self.confirmed(out, read(name).splitlines())
                what = 'kag-filter --confirm < ' + name
                self.assertEqual(stdout, b'OK\n' * (n + 1), what)
                self.assertNoMarker(what + ' (stderr)', stderr)
                self.assertEqual(stderr, b'', what)
                with open(out, 'rb') as f:
                    written = f.read()
                self.assertNoMarker(what + ' (output file)', written)
                self.check_records(what, name, json_lines(written))

    def confirmed(self, out, lines):
        """Send each line and wait for its OK; return (stdout, stderr,
        lines sent)."""
        p = subprocess.Popen([FILTER, '--policy=' + NO_REPEATS_FILE, '--confirm', '--output=' + out, '--all',
                              '--error-limit=0'], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
        seen = b''
        try:
            seen += self.read_ok(p)
            for ln in lines:
                p.stdin.write(ln + b'\n')
                p.stdin.flush()
                seen += self.read_ok(p)
            p.stdin.close()
            rest = p.stdout.read()
            err = p.stderr.read()
            self.assertEqual(p.wait(timeout=TIMEOUT), 0)
            return seen + rest, err, len(lines)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            for f in (p.stdin, p.stdout, p.stderr):
                if not f.closed:
                    f.close()

    def read_ok(self, p):
        """One confirmation line (read byte by byte: nothing read ahead)."""
        deadline = time.monotonic() + TIMEOUT
        got = b''
        while not got.endswith(b'\n'):
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, 'no confirmation')
            ready, _, _ = select.select([p.stdout], [], [], left)
            if ready:
                c = os.read(p.stdout.fileno(), 1)
                if not c:
                    self.fail('kag-filter ended: ' + p.stderr.read().decode())
                got += c
        self.assertEqual(got, b'OK\n')
        return got


# -- the Python binding ----------------------------------------------------

def load_kag():
    sys.path.insert(0, os.environ.get('KAG_PYTHON_DIR') or
                    os.path.join(HERE, '..', '..', 'examples', 'python'))
    import kag
    return kag


@unittest.skipUnless(os.environ.get('KAG_LIBRARY'), 'needs KAG_LIBRARY')
class Binding(Checks, unittest.TestCase):
    """examples/python/kag.py: streams, decoded records, raised errors,
    bodies opted in, and bodies 100 levels deep under a raised limit."""

    @classmethod
    def setUpClass(cls):
        cls.kag = load_kag()

    def records(self, name, **opts):
        with self.kag.Engine(policy=NO_REPEATS, **opts) as e:
            return list(e.judge_file(path(name)))

    def test_judge_file(self):
        for bodies in (False, True):
            for name in STREAMS:
                what = 'Engine(include_bodies=%s).judge_file(%s)' % (bodies, name)
                with self.subTest(bodies=bodies, stream=name):
                    recs = self.records(name, include_bodies=bodies)
                    self.assertNoMarker(what, json.dumps(recs))
                    self.check_records(what, name, recs, bodies=bodies)

    def test_judge_whole_and_by_line(self):
        """judge() of the whole input, and feed() line by line with errors
        raised: exceptions hold no marker either."""
        for name in STREAMS:
            data = read(name)
            with self.subTest(stream=name), self.kag.Engine(
                    policy=NO_REPEATS, include_bodies=True, emit_benign=False) as e:
                recs = e.judge(data, source=name)
                self.assertNoMarker('judge(%s)' % name, json.dumps(recs))
            with self.subTest(stream=name, errors='raise'), self.kag.Engine(policy=NO_REPEATS,
                    include_bodies=True, errors='raise') as e:
                raised, out = [], []
                for ln in data.splitlines(keepends=True):
                    try:
                        out += e.feed(ln)
                    except self.kag.KagError as x:
                        raised.append(x)
                        out += x.partial
                try:
                    out += e.finish()
                except self.kag.KagError as x:
                    raised.append(x)
                    out += x.partial
                text = json.dumps(out) + ''.join(
                    '%s|%s|%r|%s|%s\n' % (x, x.message, x.args, x.path, x.source)
                    for x in raised)
                self.assertNoMarker('feed(%s) with errors="raise"' % name, text)
                self.assertEqual(len(raised), STREAMS[name]['errors'], name)

    def test_judge_record(self):
        """Decoded native events through the event builder, bodies opted in."""
        for name in ('native.jsonl', 'malformed.jsonl'):
            with self.kag.Engine(policy=NO_REPEATS, include_bodies=True) as e:
                out, raised = [], []
                for ln in read(name).splitlines():
                    try:
                        rec = json.loads(ln)
                    except ValueError:
                        continue
                    if not isinstance(rec, dict) or rec.get('kind') != 'Event':
                        continue
                    try:
                        out += e.judge_record(rec, source='fluent-bit')
                    except self.kag.KagError as x:
                        raised.append('%s|%s|%s' % (x, x.message, x.path))
                out += e.finish()
                self.assertNoMarker('judge_record(%s)' % name, json.dumps(out) + ''.join(raised))
                if name == 'native.jsonl':
                    self.assertEqual(raised, [])
                    ids = {v['event']['auditID'] for v in out}
                    for aid in STREAMS[name]['exec'] + STREAMS[name]['bodies']:
                        if '.' not in aid:
                            self.assertIn(aid, ids)
                    shown = [v for v in out if 'requestObject' in v['evidence']
                             or 'responseObject' in v['evidence']]
                    self.assertGreaterEqual(len(shown), 10)

    def test_deep_bodies_raised_limit(self):
        """Bodies 100 levels deep with KAG_OPT_MAX_DEPTH raised and bodies
        opted in: judged, shown to their depth, secrets replaced."""
        kag = self.kag
        with kag.Engine(policy=NO_REPEATS, include_bodies=True) as e:
            parser = e._parser.ptr
            self.assertEqual(kag._lib.kag_parser_set_option_u64(parser, 2, 256), 0)
            recs = list(e.judge_file(path('deep.jsonl')))
        self.assertNoMarker('deep bodies, depth limit 256', json.dumps(recs))
        self.check_records('deep, depth limit 256', 'deep.jsonl', recs, bodies=True, errors=0,
                           body_ids=STREAMS['deep.jsonl']['deep'])

        def depth(v):
            if isinstance(v, dict):
                return 1 + max(map(depth, v.values()), default=0)
            if isinstance(v, list):
                return 1 + max(map(depth, v), default=0)
            return 0
        bodies = [v['evidence'].get('requestObject') or v['evidence'].get('responseObject')
                  for v in recs]
        self.assertTrue(bodies)
        for b in bodies:
            self.assertGreaterEqual(depth(b), markers.DEPTH - 2)


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else ''
    cases = {'tools': [Planted, Tools], 'python': [Binding]}.get(which)
    if cases is None:
        sys.exit('usage: test_markers.py tools|python')
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromTestCase(c) for c in cases)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == '__main__':
    main()

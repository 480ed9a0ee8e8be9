"""kag-filter's learned baseline survives a restart: a first kag-filter
learns from a stream (--baseline=FILE --learn) and is stopped with SIGTERM,
which saves FILE atomically; a second one loads FILE and ranks the learned
behaviour one step lower while it names new behaviour as new.

Needs KAG_FILTER (the built program) from tests/collector/meson.build.
"""
import json
import os
import select
import signal
import subprocess
import tempfile
import time
import unittest

FILTER = os.environ.get('KAG_FILTER', '')
TIMEOUT = 30.0


def event(serial, verb, resource, ns, name, agent='operator/v1.2.3 (linux/amd64)'):
    return json.dumps({
        'kind': 'Event', 'apiVersion': 'audit.k8s.io/v1', 'auditID': 'bl-%d' % serial,
        'stage': 'ResponseComplete', 'level': 'Metadata', 'verb': verb,
        'user': {'username': 'app-deployer'}, 'sourceIPs': ['10.0.0.9'], 'userAgent': agent,
        'objectRef': {'resource': resource, 'namespace': ns, 'name': name},
        'responseStatus': {'code': 200},
        'stageTimestamp': '2024-05-01T10:%02d:%02d.000000Z' % (serial // 60, serial % 60),
    }) + '\n'


def read_until(case, proc, want):
    """stdout lines until one whose detector is `want` (a dict per line)."""
    buf, lines = b'', []
    deadline = time.monotonic() + TIMEOUT
    while True:
        left = deadline - time.monotonic()
        case.assertGreater(left, 0, 'no %s verdict within %ds' % (want, TIMEOUT))
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if not ready:
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        case.assertTrue(chunk, 'kag-filter ended early')
        buf += chunk
        while b'\n' in buf:
            line, buf = buf.split(b'\n', 1)
            rec = json.loads(line)
            lines.append(rec)
            if rec.get('detector') == want:
                return lines


class Restart(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, 'baseline.json')

    def tearDown(self):
        self.dir.cleanup()

    def test_learned_baseline_survives_sigterm(self):
        learn = subprocess.Popen([FILTER, '--baseline=' + self.path, '--learn'],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        for i in range(6):
            learn.stdin.write(event(i, 'get', 'configmaps', 'ns%d' % i, 'cm').encode())
        learn.stdin.write(event(10, 'get', 'secrets', 'prod', 'db').encode())
        learn.stdin.flush()
        first = read_until(self, learn, 'secrets_access')
        self.assertEqual(first[-1]['severity'], 'medium')
        learn.send_signal(signal.SIGTERM)
        _, err = learn.communicate(timeout=TIMEOUT)
        self.assertEqual(learn.returncode, 0, err.decode())
        self.assertFalse(os.path.exists(self.path + '.tmp'))
        with open(self.path) as f:
            doc = json.load(f)
        self.assertEqual(doc['format'], 'kag-baseline/1')
        (ident,) = doc['identities']
        self.assertEqual(ident['user'], 'app-deployer')
        self.assertIn(['get', 'secrets', '', 'prod', 'operator'],
                      [t[:5] for t in ident['tuples']])
        with open(self.path, 'rb') as f:
            saved = f.read()

        judge = subprocess.Popen([FILTER, '--baseline=' + self.path],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        # a newer client version is the same behaviour
        stream = (event(100, 'get', 'secrets', 'prod', 'db', 'operator/v1.3.0 (linux/arm64)') +
                  event(101, 'get', 'secrets', 'billing', 'db'))
        out, err = judge.communicate(stream.encode(), timeout=TIMEOUT)
        self.assertEqual(judge.returncode, 0, err.decode())
        seen, new = [json.loads(x) for x in out.decode().splitlines()
                     if json.loads(x).get('detector') == 'secrets_access']
        self.assertEqual(seen['severity'], 'low')
        self.assertTrue(seen['reason'].startswith('seen before in the baseline'), seen['reason'])
        self.assertEqual(new['severity'], 'medium')
        self.assertTrue(new['reason'].startswith(
            'new for this identity: first get secrets in billing with operator'), new['reason'])
        # without --learn the file is left as it was
        with open(self.path, 'rb') as f:
            self.assertEqual(f.read(), saved)

    def test_bad_baseline_refused(self):
        with open(self.path, 'w') as f:
            f.write('{"format":"kag-baseline/9","identities":[]}')
        proc = subprocess.run([FILTER, '--baseline=' + self.path], input=b'',
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(b'KAG_ESCHEMA', proc.stderr)
        self.assertIn(b'/format', proc.stderr)

    def test_learn_needs_a_file(self):
        proc = subprocess.run([FILTER, '--learn'], input=b'', stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=TIMEOUT)
        self.assertEqual(proc.returncode, 2)


if __name__ == '__main__':
    unittest.main()

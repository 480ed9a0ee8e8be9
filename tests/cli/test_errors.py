"""Error records of kag-triage: the first --error-limit records of each kind
of fault are written, the rest counted in error_summary records (at 100,
1000, ... held back, and at the end), so that output grows with the input's
distinct faults, not with its length. No error record quotes input bytes.
"""
import unittest

from clitest import json_lines, text, triage

GOOD = b'{"verb":"get","auditID":"good-1","user":{"username":"alice"}}\n'
SCHEMA = 'not an audit event: none of verb, auditID, stage, requestURI, objectRef, user is present'


def stream(empties=1000, texts=5):
    """`empties` lines of {} (KAG_ESCHEMA), `texts` text lines of two lengths
    (KAG_EPARSE, one kind: numbers are not part of a kind), one event."""
    lines = [b'{}\n'] * empties
    lines += [b'SECRET-MARKER-%d not json\n' % (10 ** i) for i in range(texts)]
    return b''.join(lines) + GOOD


class ErrorLimit(unittest.TestCase):
    def records(self, *args, data=None):
        got = triage(*args, '-', stdin=stream() if data is None else data)
        self.assertEqual(got.stderr, b'')
        # records were rejected: exit status 1 (design section 7)
        self.assertEqual(got.returncode, 1)
        return json_lines(got, self)

    def test_default_limit_and_summaries(self):
        recs = self.records('--summary')
        errors = [r['error'] for r in recs if 'error' in r]
        summaries = [r['error_summary'] for r in recs if 'error_summary' in r]
        self.assertEqual([e['code'] for e in errors], ['KAG_ESCHEMA'] * 10 + ['KAG_EPARSE'] * 5)
        self.assertEqual([e['source'] for e in errors[:10]],
                         ['<stdin>:%d' % i for i in range(1, 11)])
        # one summary when 100 were held back, one at the end
        self.assertEqual(summaries, [
            {'code': 'KAG_ESCHEMA', 'message': SCHEMA, 'records': 110, 'suppressed': 100},
            {'code': 'KAG_ESCHEMA', 'message': SCHEMA, 'records': 1000, 'suppressed': 990}])
        # the end summary comes after the last verdict, before --summary
        self.assertIn('error_summary', recs[-2])
        self.assertEqual(recs[-1]['summary']['rejected'], 1005)
        self.assertEqual(recs[-1]['summary']['judged'], 1)

    def test_no_limit(self):
        recs = self.records('--error-limit=0')
        self.assertEqual(sum('error' in r for r in recs), 1005)
        self.assertFalse(any('error_summary' in r for r in recs))

    def test_small_limit(self):
        recs = self.records('--error-limit=2')
        self.assertEqual([r['error']['code'] for r in recs if 'error' in r],
                         ['KAG_ESCHEMA'] * 2 + ['KAG_EPARSE'] * 2)
        self.assertEqual([(s['error_summary']['code'], s['error_summary']['suppressed'])
                          for s in recs if 'error_summary' in s],
                         [('KAG_ESCHEMA', 100), ('KAG_ESCHEMA', 998), ('KAG_EPARSE', 3)])

    def test_jobs_same_output(self):
        data = stream(3000, 5) * 3
        one = triage('--jobs=1', '-', stdin=data)
        two = triage('--jobs=2', '-', stdin=data)
        self.assertEqual(text(one), text(two))

    def test_text_output(self):
        got = triage('--output=text', '-', stdin=stream())
        lines = text(got).splitlines()
        # the table's rows: time, severity, detector, user, outcome, source
        held = [l for l in lines if l.split()[1:2] == ['ERRORS']]
        self.assertEqual(len(held), 2)
        self.assertIn('990 of 1000 records held back, like: ' + SCHEMA, held[-1])
        self.assertEqual(sum(l.split()[1:2] == ['ERROR'] for l in lines), 15)

    def test_no_input_bytes_in_errors(self):
        for args in ([], ['--output=text'], ['--error-limit=0'], ['--parser=jansson']):
            got = triage(*args, '-', stdin=stream())
            self.assertNotIn(b'SECRET-MARKER', got.stdout, args)
            self.assertNotIn(b'SECRET-MARKER', got.stderr, args)

    def test_bad_option(self):
        for bad in ('--error-limit=', '--error-limit=-1', '--error-limit=x'):
            got = triage(bad, '-', stdin=GOOD)
            self.assertEqual(got.returncode, 2, bad)
            self.assertIn(b'--error-limit=N', got.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""The three example programs on the bundled sample."""
import unittest

from clitest import (EX_CUSTOM, EX_GATE, EX_PARSE, SAMPLE, CliCase, json_lines, run,
                     sample_line, triage, verdicts)


def decision(v):
    return (v['detector'], v['assessment'], v['outcome'], v['severity'], v['confidence'],
            v['reason'], v['event']['auditID'])

NAMESPACE_DELETE = (b'{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata",'
                    b'"auditID":"0d5c0000-0000-4000-8000-00000000ffff","stage":"ResponseComplete",'
                    b'"verb":"delete","user":{"username":"alice@example.com"},'
                    b'"objectRef":{"resource":"namespaces","name":"prod","apiVersion":"v1"},'
                    b'"responseStatus":{"code":200}}\n')


class ParseEvent(CliCase):
    required = ('TRIAGE', 'SAMPLE', 'EX_PARSE')

    def test_same_verdicts_as_triage(self):
        proc = run([EX_PARSE, SAMPLE])
        self.assertExit(proc, 0, '01-parse-event')
        mine = verdicts(json_lines(proc, self))
        ref = verdicts(json_lines(triage('--all', SAMPLE), self))
        # 01-parse-event names no source, so compare what was decided.
        self.assertEqual(sorted(map(decision, mine)), sorted(map(decision, ref)))
        self.assertIn('KAG_ETRUNCATED', proc.stderr.decode('utf-8'))

    def test_stdin(self):
        with open(SAMPLE, 'rb') as f:
            proc = run([EX_PARSE], stdin=f.read())
        self.assertExit(proc, 0, '01-parse-event < sample')
        from_file = verdicts(json_lines(run([EX_PARSE, SAMPLE]), self))
        self.assertEqual(list(map(decision, verdicts(json_lines(proc, self)))),
                         list(map(decision, from_file)))

    def test_missing_file(self):
        proc = run([EX_PARSE, SAMPLE + '.missing'])
        self.assertNotEqual(proc.returncode, 0)


class EvaluateGate(CliCase):
    required = ('SAMPLE', 'EX_GATE')

    def gate(self, detector, line):
        proc = run([EX_GATE, detector], stdin=sample_line(line))
        self.assertExit(proc, 0, '02-evaluate-gate %s < line %d' % (detector, line))
        out = proc.stdout.decode('utf-8').splitlines()
        fields = {}
        for l in out:
            k, _, v = l.partition(': ')
            fields.setdefault(k, []).append(v)
        return fields

    def test_fourth_event_misses_the_user(self):
        # Line 4: a denied secrets list with no user at all.
        g = self.gate('secrets_access', 4)
        self.assertEqual(g['detector'], ['secrets_access'])
        self.assertEqual(g['passed'], ['no'])
        self.assertEqual(g['outcome'], ['denied'])
        self.assertEqual(g['missing'], ['user.username'])
        self.assertIn('user.username', g['reason'][0])

    def test_complete_event_passes(self):
        # Line 9: mallory's allowed secrets list, every decisive field present.
        g = self.gate('secrets_access', 9)
        self.assertEqual(g['passed'], ['yes'])
        self.assertEqual(g['outcome'], ['allowed'])
        self.assertNotIn('missing', g)
        self.assertNotIn('reason', g)

    def test_unknown_detector(self):
        proc = run([EX_GATE, 'no_such_detector'], stdin=sample_line(4))
        self.assertEqual(proc.returncode, 1)
        self.assertIn('no_such_detector', proc.stderr.decode('utf-8'))

    def test_usage(self):
        proc = run([EX_GATE])
        self.assertEqual(proc.returncode, 2)


class CustomDetector(CliCase):
    required = ('SAMPLE', 'EX_CUSTOM')

    def test_no_namespace_deletion_in_sample(self):
        proc = run([EX_CUSTOM, SAMPLE])
        self.assertExit(proc, 0, '03-custom-detector sample')
        self.assertEqual(proc.stdout.decode('utf-8').splitlines(),
                         ['namespace deletions seen: 0'])

    def test_finds_a_namespace_deletion(self):
        with open(SAMPLE, 'rb') as f:
            stream = f.read() + NAMESPACE_DELETE
        proc = run([EX_CUSTOM], stdin=stream)
        self.assertExit(proc, 0, '03-custom-detector < sample + deletion')
        out = proc.stdout.decode('utf-8').splitlines()
        self.assertEqual(out[-1], 'namespace deletions seen: 1')
        self.assertEqual(len(out), 2, out)
        self.assertTrue(out[0].startswith('suspicious '), out[0])
        self.assertTrue(out[0].endswith(': a namespace was deleted'), out[0])


if __name__ == '__main__':
    unittest.main()

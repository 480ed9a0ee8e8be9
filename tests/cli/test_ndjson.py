#!/usr/bin/env python3
"""kag-triage NDJSON output on the bundled sample follows the verdict record
contract, and the sample's notable events get the verdicts they should."""
import re
import unittest

from clitest import (ASSESSMENTS, CONFIDENCES, CONTRACT_KEYS, EVENT_KEYS, OUTCOMES, SAMPLE,
                     SAMPLE_STATUS, SEVERITIES, CliCase, json_lines, line_of, triage, verdicts)


class NdjsonContract(CliCase):
    @classmethod
    def setUpClass(cls):
        cls.proc = triage(SAMPLE)

    def setUp(self):
        super().setUp()
        self.assertExit(self.proc, SAMPLE_STATUS, 'kag-triage sample')
        self.records = json_lines(self.proc, self)
        self.verdicts = verdicts(self.records)

    def by_line(self, detector, line):
        found = [v for v in self.verdicts
                 if v['detector'] == detector and line_of(v['event']['source']) == line]
        self.assertEqual(len(found), 1, '%s verdicts for line %d: %r' % (detector, line, found))
        return found[0]

    def test_every_line_is_a_verdict_or_an_error(self):
        self.assertGreater(len(self.verdicts), 0)
        for r in self.records:
            self.assertTrue(('detector' in r) != ('error' in r), r)

    def test_contract_keys_and_vocabulary(self):
        for v in self.verdicts:
            for k in CONTRACT_KEYS:
                self.assertIn(k, v, 'verdict lacks %r: %r' % (k, v))
            self.assertIsInstance(v['detector'], str)
            self.assertIn(v['assessment'], ASSESSMENTS)
            self.assertIn(v['outcome'], OUTCOMES)
            self.assertIn(v['severity'], SEVERITIES)
            self.assertIn(v['confidence'], CONFIDENCES)
            self.assertIsInstance(v['attack'], list)
            for t in v['attack']:
                self.assertRegex(t, r'^T\d{4}(\.\d{3})?$')
            self.assertIsInstance(v['reason'], str)
            self.assertTrue(v['reason'].strip())
            self.assertIsInstance(v['event'], dict)
            for k in EVENT_KEYS:
                self.assertIn(k, v['event'])
            self.assertEqual(v['event']['format'], 'native')
            self.assertRegex(v['event']['source'], '^' + re.escape(SAMPLE) + r':\d+$')
            self.assertIsInstance(v['evidence'], dict)
            for k in ('verb', 'user', 'objectRef', 'responseStatus'):
                self.assertIn(k, v['evidence'])
            for k in ('missing', 'inferred'):
                self.assertIsInstance(v[k], list)
                for f in v[k]:
                    self.assertIsInstance(f, str)

    def test_benign_left_out_by_default(self):
        self.assertEqual([v for v in self.verdicts
                          if v['assessment'] == 'benign' or v['severity'] == 'info'], [])

    def test_exec_verdict_keeps_native_evidence(self):
        v = self.by_line('interactive_access', 2)
        self.assertEqual((v['assessment'], v['outcome'], v['severity'], v['confidence']),
                         ('suspicious', 'in_progress', 'high', 'low'))
        # two wanted fields absent: two steps down from high
        self.assertEqual(v['missing'], ['userAgent', 'requestURI'])
        self.assertIn('T1609', v['attack'])
        ev = v['evidence']
        self.assertEqual(ev['verb'], 'create')
        self.assertEqual(ev['user']['username'], 'alice@example.com')
        self.assertEqual(ev['sourceIPs'], ['203.0.113.10'])
        self.assertEqual(ev['objectRef'], {'resource': 'pods', 'subresource': 'exec',
                                           'namespace': 'prod', 'name': 'api-7f9'})
        self.assertEqual(ev['responseStatus'], {'code': 101})
        self.assertEqual(v['event']['stage'], 'ResponseStarted')
        self.assertEqual(sorted(v['missing']), ['requestURI', 'userAgent'])

    def test_denied_read_is_not_access(self):
        v = self.by_line('rbac_probing', 4)
        self.assertEqual((v['assessment'], v['outcome']), ('suspicious', 'denied'))
        self.assertIn('user', v['missing'])
        for other in self.verdicts:
            if line_of(other['event']['source']) == 4:
                self.assertNotEqual(other['outcome'], 'allowed', other)
                self.assertNotEqual(other['detector'], 'secrets_access', other)

    def test_probing_burst_is_correlated(self):
        v = self.by_line('rbac_probing', 19)
        self.assertEqual((v['assessment'], v['outcome'], v['severity']),
                         ('suspicious', 'denied', 'high'))
        corr = v.get('correlation')
        self.assertIsInstance(corr, dict)
        self.assertEqual(corr['count'], 10)
        self.assertEqual(len(corr['distinct']), 10)
        self.assertRegex(corr['first'], r'^2024-05-01T10:00:20')
        self.assertRegex(corr['last'], r'^2024-05-01T10:00:29')

    def test_impersonation_of_masters_is_critical(self):
        v = self.by_line('impersonation', 21)
        self.assertEqual((v['assessment'], v['severity']), ('suspicious', 'critical'))
        self.assertEqual(v['evidence']['impersonatedUser']['username'], 'admin')
        self.assertEqual(v['evidence']['user']['username'], 'ci-runner@example.com')

    def test_request_received_only_needs_context(self):
        v = self.by_line('secrets_access', 22)
        self.assertEqual((v['assessment'], v['outcome'], v['confidence']),
                         ('needs_context', 'unknown', 'low'))
        self.assertEqual(v['event']['stage'], 'RequestReceived')

    def test_exec_stages_judged_once(self):
        # Lines 7 and 8 are the ResponseStarted and ResponseComplete stages of
        # one exec request: one verdict, at ResponseStarted.
        execs = [v for v in self.verdicts if v['detector'] == 'interactive_access'
                 and v['event']['auditID'] == '5a1e0000-0000-4000-8000-000000000003']
        self.assertEqual(len(execs), 1)
        self.assertEqual(line_of(execs[0]['event']['source']), 7)
        self.assertEqual(execs[0]['severity'], 'critical')
        self.assertIn('T1552.005', execs[0]['attack'])

    def test_no_secret_values_leak(self):
        out = self.proc.stdout.decode('utf-8')
        self.assertNotIn('requestObject', out)
        self.assertNotIn('responseObject', out)
        self.assertIsNone(re.search(r'"(data|stringData|token)"\s*:', out))


if __name__ == '__main__':
    unittest.main()

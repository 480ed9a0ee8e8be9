#!/usr/bin/env python3
"""kag-triage --summary: records = judged + rejected + skipped, and the
verdict counts add up to the verdicts printed."""
import re
import unittest

from clitest import SAMPLE, CliCase, json_lines, sample_lines, triage, verdicts

SUMMARY_KEYS = ('records', 'judged', 'rejected', 'skipped', 'verdicts', 'benign',
                'suspicious', 'malicious', 'needs_context', 'duplicates')


class Summary(CliCase):
    def summary(self, *args):
        proc = triage('--summary', *args)
        self.assertExit(proc, 0, 'kag-triage --summary')
        records = json_lines(proc, self)
        self.assertIn('summary', records[-1], 'the summary is the last line')
        self.assertEqual([r for r in records[:-1] if 'summary' in r], [])
        s = records[-1]['summary']
        for k in SUMMARY_KEYS:
            self.assertIsInstance(s.get(k), int, 'summary.%s' % k)
        return s, records[:-1]

    def check_sums(self, s, printed):
        self.assertEqual(s['records'], s['judged'] + s['rejected'] + s['skipped'])
        v = verdicts(printed)
        self.assertEqual(s['verdicts'], len(v))
        self.assertEqual(s['rejected'], len([r for r in printed if 'error' in r]))
        self.assertEqual(s['verdicts'], s['benign'] + s['suspicious'] + s['malicious'] +
                         s['needs_context'])
        for a in ('benign', 'suspicious', 'malicious', 'needs_context'):
            self.assertEqual(s[a], len([x for x in v if x['assessment'] == a]), a)

    def test_sample_counts(self):
        s, printed = self.summary(SAMPLE)
        self.check_sums(s, printed)
        n_records = len([l for l in sample_lines() if l.strip()])
        self.assertEqual(s['records'], n_records)
        self.assertEqual((s['rejected'], s['skipped']), (1, 0))
        self.assertEqual(s['judged'], n_records - 1)
        self.assertEqual(s['benign'], 0)
        self.assertEqual(s['duplicates'], 1)  # the exec's ResponseComplete stage

    def test_sample_counts_with_benign(self):
        s, printed = self.summary('--all', SAMPLE)
        self.check_sums(s, printed)
        self.assertGreaterEqual(s['benign'], 3)
        quiet, _ = self.summary(SAMPLE)
        extra = [v for v in verdicts(printed)
                 if v['assessment'] == 'benign' or v['severity'] == 'info']
        self.assertEqual(s['verdicts'], quiet['verdicts'] + len(extra))
        for k in ('records', 'judged', 'rejected', 'skipped', 'needs_context'):
            self.assertEqual(s[k], quiet[k], k)
        # info verdicts of suspicious requests (single denials) are --all's too
        info = sum(1 for v in extra if v['assessment'] == 'suspicious')
        self.assertEqual(s['suspicious'], quiet['suspicious'] + info)

    def test_counts_add_up_over_files(self):
        one, _ = self.summary(SAMPLE)
        s, printed = self.summary(SAMPLE, SAMPLE)
        self.check_sums(s, printed)
        for k in ('records', 'judged', 'rejected', 'skipped'):
            self.assertEqual(s[k], 2 * one[k], k)

    def test_text_summary(self):
        proc = triage('--summary', '--output=text', SAMPLE)
        self.assertExit(proc, 0, 'kag-triage --summary --output=text')
        last = proc.stdout.decode('utf-8').rstrip('\n').splitlines()[-1]
        m = re.match(r'records (\d+) = judged (\d+) \+ rejected (\d+) \+ skipped (\d+); '
                     r'verdicts (\d+) ', last)
        self.assertIsNotNone(m, last)
        records, judged, rejected, skipped, _ = map(int, m.groups())
        self.assertEqual(records, judged + rejected + skipped)
        js, _ = self.summary(SAMPLE)
        self.assertEqual((records, judged, rejected, skipped),
                         (js['records'], js['judged'], js['rejected'], js['skipped']))

    def test_empty_input(self):
        s, printed = self.summary('-')  # stdin, empty
        self.assertEqual(printed, [])
        self.assertEqual((s['records'], s['judged'], s['rejected'], s['verdicts']), (0, 0, 0, 0))


if __name__ == '__main__':
    unittest.main()

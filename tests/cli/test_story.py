#!/usr/bin/env python3
"""One request, one consistent story: over the whole corpus and the benign
noise stream (tests/benign, attacks mixed in), with --all and repeats
returned as they come, no request has both a benign controller_baseline
verdict and a suspicious or malicious verdict of another detector. And the
repeat accounting holds: with suppression on, the verdicts are those of the
stream without it, less the repeats the aggregates count."""
import json
import os
import sys
import tempfile
import unittest

from clitest import CliCase, json_lines, triage, verdicts

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'benign'))
import gen  # noqa: E402


def inputs(tmp):
    data = os.path.join(ROOT, 'tests', 'data')
    files = []
    for d, _, names in sorted(os.walk(data)):
        files += [os.path.join(d, n) for n in sorted(names) if not n.endswith('.md')]
    stream = os.path.join(tmp, 'benign.jsonl')
    gen.main(['--seed', '3', '--events', '6000', '-o', stream])
    return files + [stream]


def request(v):
    """A request: its auditID where it has one, else its record."""
    e = v['event']
    return e['auditID'] or e['source']


class Story(CliCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.files = inputs(cls.tmp.name)
        cls.off = os.path.join(cls.tmp.name, 'no-repeats.json')
        with open(cls.off, 'w') as f:
            f.write('{"version": 1, "windows": {"repeat": 0}}')

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_all(self, *args):
        proc = triage('--all', '--error-limit=0', *args, *self.files)
        return verdicts(json_lines(proc, self))

    def test_no_benign_baseline_beside_an_alert(self):
        seen = {}
        for v in self.run_all('--policy=' + self.off):
            s = seen.setdefault((v['event']['source'], request(v)), set())
            if v['detector'] == 'controller_baseline' and v['assessment'] == 'benign':
                s.add('benign')
            if v['assessment'] in ('suspicious', 'malicious'):
                s.add('alert')
        both = [k for k, s in seen.items() if s == {'benign', 'alert'}]
        self.assertGreater(len(seen), 2000)
        self.assertEqual(both, [], 'benign baseline beside an alert: %s' % both[:5])

    def test_repeats_add_up(self):
        off = self.run_all('--policy=' + self.off)
        on = self.run_all()
        aggregates = [v for v in on if 'repeats' in v]
        self.assertGreater(len(aggregates), 10)
        self.assertTrue(all(v['repeats']['count'] >= 1 for v in aggregates))
        counted = sum(v['repeats']['count'] for v in aggregates)
        self.assertEqual(len(off), len(on) - len(aggregates) + counted)


if __name__ == '__main__':
    unittest.main()

#!/usr/bin/env python3
"""The README's C blocks, compiled by the build, run: the embedding program
prints the verdicts kag-triage --all prints on the sample (the same records
by id, in the same order, the verdict held for a later stage included), and
the baseline program writes a kag-baseline/1 file."""
import json
import os
import subprocess
import unittest

EMBED = os.environ['KAG_README_EMBED']
BASELINE = os.environ['KAG_README_BASELINE']
RENDER = os.environ['KAG_README_RENDER']
TRIAGE = os.environ['KAG_TRIAGE']
SAMPLE = os.environ['KAG_SAMPLE']


def records(out):
    return [json.loads(l) for l in out.decode('utf-8').splitlines() if l.strip()]


class Readme(unittest.TestCase):
    def test_embedding_program(self):
        got = subprocess.run([EMBED, SAMPLE], stdout=subprocess.PIPE, timeout=60)
        self.assertEqual(got.returncode, 0)
        want = subprocess.run([TRIAGE, '--all', SAMPLE], stdout=subprocess.PIPE, timeout=60)
        self.assertEqual(want.returncode, 1)  # the sample's line 23 is rejected
        want_ids = [r['id'] for r in records(want.stdout) if 'id' in r]
        got_ids = [r['id'] for r in records(got.stdout)]
        self.assertEqual(got_ids, want_ids)
        # the last one is the verdict only kag_session_flush() releases
        last = records(got.stdout)[-1]
        self.assertEqual((last['detector'], last['assessment'], last['event']['stage']),
                         ('secrets_access', 'needs_context', 'RequestReceived'))
        # standard input, read in any chunking, gives the same
        with open(SAMPLE, 'rb') as f:
            piped = subprocess.run([EMBED], stdin=f, stdout=subprocess.PIPE, timeout=60)
        self.assertEqual(piped.stdout, got.stdout)

    def test_baseline_program(self):
        got = subprocess.run([BASELINE], stdout=subprocess.PIPE, timeout=60)
        self.assertEqual(got.returncode, 0)
        doc = json.loads(got.stdout)
        self.assertEqual(doc.get('format'), 'kag-baseline/1', doc)


    def test_render_program(self):
        got = subprocess.run([RENDER], stdout=subprocess.PIPE, timeout=60)
        self.assertEqual(got.returncode, 0)
        recs = records(got.stdout)
        self.assertEqual(len(recs), 1)
        f = recs[0]
        self.assertEqual((f['class_uid'], f['type_uid'], f['metadata']['version']),
                         (2004, 200401, '1.3.0'))
        self.assertIn('cluster:prod-eu-1', f['metadata']['labels'])
        self.assertEqual(f['evidences'][0]['api']['request']['uid'], 'a-1')


if __name__ == '__main__':
    unittest.main(verbosity=2)

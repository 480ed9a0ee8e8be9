#!/usr/bin/env python3
"""The sample's truncated record (line 23) becomes exactly one KAG_ETRUNCATED
error record, and the stream goes on: the record after it is judged."""
import re
import unittest

from clitest import (SAMPLE, SAMPLE_STATUS, TRUNCATED_LINE, CliCase, errors, json_lines, sample_line,
                     sample_lines, triage, verdicts)


class Truncated(CliCase):
    def test_one_error_record(self):
        proc = triage(SAMPLE)
        self.assertExit(proc, SAMPLE_STATUS, 'kag-triage sample')
        errs = errors(json_lines(proc, self))
        self.assertEqual(len(errs), 1, errs)
        e = errs[0]
        self.assertEqual(list(e), ['error'])
        err = e['error']
        self.assertEqual(err['code'], 'KAG_ETRUNCATED')
        self.assertIsInstance(err['message'], str)
        self.assertTrue(err['message'].strip())
        self.assertEqual(err['source'], '%s:%d' % (SAMPLE, TRUNCATED_LINE))
        # The offset is where the truncated record starts.
        start = sum(len(l) + 1 for l in sample_lines()[:TRUNCATED_LINE - 1])
        self.assertEqual(err.get('offset'), start)

    def test_error_record_is_raw_json_escaped(self):
        proc = triage(SAMPLE)
        raw = [l for l in proc.stdout.decode('utf-8').splitlines() if l.startswith('{"error"')]
        self.assertEqual(len(raw), 1)
        self.assertTrue(raw[0].startswith('{"error":{"code":"KAG_ETRUNCATED",'), raw[0])

    def test_next_record_still_judged(self):
        # The truncated record then an exec: the exec is judged, on line 2.
        exec_line = sample_line(2)
        stream = sample_line(TRUNCATED_LINE) + exec_line
        proc = triage('--summary', stdin=stream)
        self.assertExit(proc, 1, 'kag-triage on stdin')  # a record rejected
        records = json_lines(proc, self)
        errs = errors(records)
        self.assertEqual(len(errs), 1)
        self.assertEqual(errs[0]['error']['code'], 'KAG_ETRUNCATED')
        self.assertEqual(errs[0]['error']['source'], '<stdin>:1')
        v = verdicts(records)
        self.assertEqual([(x['detector'], x['event']['source']) for x in v],
                         [('interactive_access', '<stdin>:2')])
        s = records[-1]['summary']
        self.assertEqual((s['records'], s['judged'], s['rejected']), (2, 1, 1))

    def test_sample_line_after_truncation_judged(self):
        # In the sample itself, line 24 (a pods/log read) follows the truncated
        # record; it is counted as judged (no detector flags it).
        stream = sample_line(TRUNCATED_LINE) + sample_line(TRUNCATED_LINE + 1)
        proc = triage('--summary', '--all', stdin=stream)
        self.assertExit(proc, 1, 'kag-triage on stdin')
        records = json_lines(proc, self)
        s = records[-1]['summary']
        self.assertEqual((s['records'], s['judged'], s['rejected']), (2, 1, 1))
        full = triage('--summary', SAMPLE)
        fs = json_lines(full, self)[-1]['summary']
        self.assertEqual(fs['judged'], fs['records'] - 1)
        self.assertEqual(fs['records'], len([l for l in sample_lines() if l.strip()]))

    def test_truncated_at_end_of_input(self):
        # A final record cut short without a line end is truncated too.
        line = sample_line(2).rstrip(b'\n')
        proc = triage(stdin=line[:len(line) // 2])
        self.assertExit(proc, 1, 'kag-triage on stdin')
        errs = errors(json_lines(proc, self))
        self.assertEqual(len(errs), 1)
        self.assertEqual(errs[0]['error']['code'], 'KAG_ETRUNCATED')

    def test_text_output_row(self):
        proc = triage('--output=text', SAMPLE)
        self.assertExit(proc, SAMPLE_STATUS, 'kag-triage --output=text')
        rows = [l for l in proc.stdout.decode('utf-8').splitlines() if ' ERROR ' in l]
        self.assertEqual(len(rows), 1)
        self.assertRegex(rows[0], r'^-\s+ERROR\s+KAG_ETRUNCATED\s.*' +
                         re.escape('%s:%d' % (SAMPLE, TRUNCATED_LINE)))


if __name__ == '__main__':
    unittest.main()

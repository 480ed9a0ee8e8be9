#!/usr/bin/env python3
"""kag-triage options and exit status: --output=text, --all, --list-detectors,
--version, stdin, usage errors (exit 2) and I/O errors (non-zero)."""
import os
import subprocess
import tempfile
import unittest

from clitest import (BUILTIN_DETECTORS, PROJECT_VERSION, SAMPLE, TRIAGE, CliCase, json_lines,
                     key, line_of, triage, verdicts)


class Options(CliCase):
    def json_run(self, *args, stdin=None):
        proc = triage(*args, stdin=stdin)
        self.assertExit(proc, 0, 'kag-triage ' + ' '.join(args))
        return json_lines(proc, self)

    def test_text_output_has_header(self):
        proc = triage('--output=text', SAMPLE)
        self.assertExit(proc, 0, 'kag-triage --output=text')
        lines = proc.stdout.decode('utf-8').splitlines()
        self.assertEqual(lines[0].split(), ['SEVERITY', 'ASSESSMENT', 'DETECTOR', 'OUTCOME',
                                            'SOURCE', 'REASON'])
        records = self.json_run(SAMPLE)
        self.assertEqual(len(lines) - 1, len(records), 'one row per verdict or error')
        rows = [l.split() for l in lines[1:] if not l.startswith('ERROR')]
        want = [[v['severity'], v['assessment'], v['detector'], v['outcome'],
                 v['event']['source']] for v in verdicts(records)]
        self.assertEqual([r[:5] for r in rows], want)

    def test_all_adds_baseline_verdicts(self):
        quiet = verdicts(self.json_run(SAMPLE))
        loud = verdicts(self.json_run('--all', SAMPLE))
        base = [v for v in loud if v['detector'] == 'controller_baseline']
        self.assertEqual(sorted(line_of(v['event']['source']) for v in base), [1, 5, 6])
        for v in base:
            self.assertEqual((v['assessment'], v['outcome'], v['severity']),
                             ('benign', 'allowed', 'info'))
            self.assertEqual(v['attack'], [])
        # --all adds exactly the benign and info verdicts, nothing else changes.
        extra = [v for v in loud if v['assessment'] == 'benign' or v['severity'] == 'info']
        self.assertEqual(sorted(map(key, loud)),
                         sorted(list(map(key, quiet)) + list(map(key, extra))))
        self.assertEqual([v for v in quiet if v['assessment'] == 'benign' or
                          v['severity'] == 'info'], [])

    def test_output_json_is_default(self):
        a = triage(SAMPLE)
        b = triage('--output=json', SAMPLE)
        self.assertExit(b, 0, 'kag-triage --output=json')
        self.assertEqual(a.stdout, b.stdout)

    def test_list_detectors(self):
        proc = triage('--list-detectors')
        self.assertExit(proc, 0, 'kag-triage --list-detectors')
        ids = [l for l in proc.stdout.decode('utf-8').splitlines()
               if l and not l[0].isspace()]
        for d in BUILTIN_DETECTORS:
            self.assertIn(d, ids)
        self.assertEqual(len(ids), len(set(ids)))
        for d in ids:
            self.assertRegex(d, r'^[a-z][a-z0-9_]*$')

    def test_version(self):
        proc = triage('--version')
        self.assertExit(proc, 0, 'kag-triage --version')
        self.assertEqual(proc.stdout.decode('utf-8').strip(), 'kag-triage ' + PROJECT_VERSION)

    def test_help(self):
        proc = triage('--help')
        self.assertExit(proc, 0, 'kag-triage --help')
        self.assertTrue(proc.stdout.decode('utf-8').startswith('usage: kag-triage'))

    def test_bad_option_is_usage_error(self):
        for bad in (['--bogus'], ['--output=xml'], ['-x', SAMPLE], ['--format=nonsense']):
            proc = triage(*bad)
            self.assertExit(proc, 2, 'kag-triage ' + ' '.join(bad))
            self.assertEqual(proc.stdout, b'', bad)
            self.assertTrue(proc.stderr.strip(), bad)

    def test_missing_file_is_an_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            missing = os.path.join(tmp, 'no-such-file.jsonl')
            proc = triage(missing)
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn('no-such-file.jsonl', proc.stderr.decode('utf-8'))
            self.assertEqual(proc.stdout, b'')
            # Other files are still read; the status still reports the failure.
            proc = triage(missing, SAMPLE)
            self.assertNotEqual(proc.returncode, 0)
            self.assertEqual(proc.stdout, triage(SAMPLE).stdout)

    def test_stdin(self):
        with open(SAMPLE, 'rb') as f:
            data = f.read()
        from_file = verdicts(self.json_run(SAMPLE))
        for args in ([], ['-']):
            from_stdin = verdicts(self.json_run(*args, stdin=data))
            self.assertEqual(list(map(key, from_stdin)), list(map(key, from_file)))
            for v in from_stdin:
                self.assertRegex(v['event']['source'], r'^<stdin>:\d+$')

    def test_exit_zero_whatever_the_verdicts(self):
        proc = triage(stdin=b'not json at all\n{"kind":"Event"\n')
        self.assertExit(proc, 0, 'kag-triage on bad input')
        codes = [r['error']['code'] for r in json_lines(proc, self)]
        self.assertEqual(len(codes), 2, codes)
        for c in codes:
            self.assertRegex(c, r'^KAG_E[A-Z]+$')

    def test_double_dash_ends_options(self):
        proc = triage('--', SAMPLE)
        self.assertExit(proc, 0, 'kag-triage -- FILE')
        self.assertEqual(proc.stdout, triage(SAMPLE).stdout)
        # After "--" a name starting with a dash is a file, not an option.
        with tempfile.TemporaryDirectory() as tmp:
            with open(SAMPLE, 'rb') as f:
                exec_line = f.read().split(b'\n')[1] + b'\n'
            with open(os.path.join(tmp, '-dash.jsonl'), 'wb') as f:
                f.write(exec_line)
            proc = subprocess.run([TRIAGE, '--summary', '--', '-dash.jsonl'], cwd=tmp,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=60)
            self.assertExit(proc, 0, 'kag-triage -- -dash.jsonl')
            records = json_lines(proc, self)
            self.assertEqual([(v['detector'], v['event']['source']) for v in verdicts(records)],
                             [('interactive_access', '-dash.jsonl:1')])
            self.assertEqual(records[-1]['summary']['judged'], 1)


if __name__ == '__main__':
    unittest.main()

#!/usr/bin/env python3
"""kag-triage options and exit status: --output=text, --all, --list-detectors,
--version, stdin, usage errors (exit 2) and I/O errors (non-zero)."""
import os
import subprocess
import tempfile
import unittest

from clitest import (BUILTIN_DETECTORS, PROJECT_VERSION, SAMPLE, SAMPLE_STATUS, TRIAGE,
                     CliCase, json_lines, key, line_of, triage, verdicts)

SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info']


class Options(CliCase):
    def json_run(self, *args, stdin=None, status=None):
        proc = triage(*args, stdin=stdin)
        # the sample's line 23 is rejected: status 1
        if status is None:
            status = SAMPLE_STATUS if SAMPLE in args else 0
        self.assertExit(proc, status, 'kag-triage ' + ' '.join(args))
        return json_lines(proc, self)

    def test_text_output_has_header(self):
        proc = triage('--output=text', SAMPLE)
        self.assertExit(proc, SAMPLE_STATUS, 'kag-triage --output=text')
        lines = proc.stdout.decode('utf-8').splitlines()
        self.assertEqual(lines[0].split(), ['TIME', 'SEVERITY', 'DETECTOR', 'USER', 'OUTCOME',
                                            'SOURCE', 'REASON'])
        records = self.json_run(SAMPLE)
        self.assertEqual(len(lines) - 1, len(records), 'one row per verdict or error')
        # columns aligned: every cell of a column starts where its header does
        starts = [lines[0].index(h) for h in ('SEVERITY', 'DETECTOR', 'USER', 'OUTCOME',
                                               'SOURCE', 'REASON')]
        for l in lines[1:]:
            for s in starts:
                self.assertEqual(l[s - 1], ' ', (l, s))
                self.assertNotEqual(l[s], ' ', (l, s))
        rows = [l.split() for l in lines[1:] if l.split()[1] != 'ERROR']
        vs = verdicts(records)
        want = [[v['event']['time'] or '-', v['severity'], v['detector'],
                 (v['evidence']['user'] or {}).get('username') or '-', v['outcome'],
                 v['event']['source']] for v in vs]
        # the most severe first; within a severity, in the order judged
        want.sort(key=lambda r: SEVERITY_ORDER.index(r[1]))
        self.assertEqual([r[:6] for r in rows], want)
        self.assertEqual(lines[-1].split()[1:3], ['ERROR', 'KAG_ETRUNCATED'])

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
        self.assertExit(b, SAMPLE_STATUS, 'kag-triage --output=json')
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
            from_stdin = verdicts(self.json_run(*args, stdin=data, status=SAMPLE_STATUS))
            self.assertEqual(list(map(key, from_stdin)), list(map(key, from_file)))
            for v in from_stdin:
                self.assertRegex(v['event']['source'], r'^<stdin>:\d+$')

    def test_both_option_forms_and_short_options(self):
        """--opt VALUE, --opt=VALUE and the short forms give the same
        output; options and files may come in any order."""
        want = triage('--output=text', '--all', '--format=native', '--jobs=2', SAMPLE)
        self.assertExit(want, SAMPLE_STATUS, 'kag-triage --opt=VALUE')
        for args in (['--output', 'text', '--all', '--format', 'native', '--jobs', '2', SAMPLE],
                     ['-o', 'text', '-a', '-f', 'native', '-j', '2', SAMPLE],
                     ['-otext', '-a', '-fnative', '-j2', SAMPLE],
                     [SAMPLE, '-a', '-o', 'text', '--jobs', '2', '--format=native']):
            got = triage(*args)
            self.assertExit(got, SAMPLE_STATUS, ' '.join(args))
            self.assertEqual(got.stdout, want.stdout, args)
        self.assertEqual(triage('-V').stdout, triage('--version').stdout)
        self.assertEqual(triage('-h').stdout, triage('--help').stdout)
        with tempfile.TemporaryDirectory() as tmp:
            pol = os.path.join(tmp, 'p.json')
            with open(pol, 'w') as f:
                f.write('{"detectors": {"disable": ["impersonation"]}}')
            for args in (['--policy', pol], ['-p', pol], ['--policy=' + pol]):
                got = self.json_run(*args, SAMPLE)
                self.assertNotIn('impersonation', [v['detector'] for v in verdicts(got)], args)

    def test_usage_errors_are_brief(self):
        for bad, says in ((['--bogus'], b"unknown option '--bogus'"),
                          (['-x'], b"unknown option '-x'"),
                          (['-aZ'], b"unknown option '-Z'"),
                          (['--output'], b"option '--output' needs a value"),
                          (['-j'], b"option '-j' needs a value"),
                          (['--jobs', '0'], b'--jobs takes a number'),
                          (['--fail-on=severe'], b'unknown --fail-on=severe'),
                          (['--min-severity', 'x'], b'unknown --min-severity=x'),
                          (['--assessment=good'], b'unknown --assessment=good'),
                          (['--detector=nope', SAMPLE], b'--detector=nope: no such detector')):
            proc = triage(*bad)
            self.assertExit(proc, 2, ' '.join(bad))
            self.assertEqual(proc.stdout, b'', bad)
            err = proc.stderr
            self.assertTrue(err.startswith(b'kag-triage: '), err)
            self.assertIn(says, err, bad)
            self.assertLess(err.count(b'\n'), 3, 'the whole usage text for ' + ' '.join(bad))

    def test_exit_status_contract(self):
        """0 every record judged, 1 a record rejected (even with --fail-on
        matched), 2 usage, 3 --fail-on matched."""
        with open(SAMPLE, 'rb') as f:
            lines = f.read().split(b'\n')
        clean = b'\n'.join(l for i, l in enumerate(lines, 1) if i != 23) + b'\n'
        self.assertExit(triage(stdin=clean), 0, 'clean stream')
        self.assertExit(triage('--fail-on=critical', stdin=clean), 3, '--fail-on=critical')
        self.assertExit(triage('--fail-on', 'high', stdin=clean), 3, '--fail-on high')
        # a filter that writes none of them: nothing at or above was written
        self.assertExit(triage('--fail-on=high', '--detector=rbac_probing',
                               '--min-severity=critical', stdin=clean), 0, 'filtered out')
        self.assertExit(triage('--fail-on=critical', SAMPLE), 1, 'rejected record wins')
        self.assertExit(triage('--fail-on=critical', '--bogus'), 2, 'usage')
        # a gzipped log fed by mistake is rejected, not judged
        import gzip
        proc = triage(stdin=gzip.compress(clean))
        self.assertExit(proc, 1, 'gzip bytes')
        self.assertEqual(verdicts(json_lines(proc, self)), [])

    def test_filters(self):
        every = verdicts(self.json_run('--all', SAMPLE))
        got = verdicts(self.json_run('--min-severity=high', SAMPLE))
        self.assertEqual(list(map(key, got)), [key(v) for v in every
                                               if v['severity'] in ('high', 'critical')])
        got = verdicts(self.json_run('--detector', 'rbac_probing,impersonation', '--all',
                                     SAMPLE))
        self.assertEqual(list(map(key, got)), [key(v) for v in every if v['detector'] in
                                               ('rbac_probing', 'impersonation')])
        # benign implies --all
        got = verdicts(self.json_run('--assessment=benign', '--assessment=needs_context',
                                     SAMPLE))
        want = [key(v) for v in every if v['assessment'] in ('benign', 'needs_context')]
        self.assertEqual(list(map(key, got)), want)
        self.assertEqual(len([v for v in got if v['assessment'] == 'benign']), 3)

    def test_exit_one_when_a_record_is_rejected(self):
        proc = triage(stdin=b'not json at all\n{"kind":"Event"\n')
        self.assertExit(proc, 1, 'kag-triage on bad input')
        codes = [r['error']['code'] for r in json_lines(proc, self)]
        self.assertEqual(len(codes), 2, codes)
        for c in codes:
            self.assertRegex(c, r'^KAG_E[A-Z]+$')

    def test_double_dash_ends_options(self):
        proc = triage('--', SAMPLE)
        self.assertExit(proc, SAMPLE_STATUS, 'kag-triage -- FILE')
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

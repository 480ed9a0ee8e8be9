"""kag-filter on its own: the plain mode, the omprog confirmation protocol,
errors, limits, signals and the end-of-stream flush.

Needs KAG_FILTER and KAG_TRIAGE (built programs) and KAG_SAMPLE
(examples/sample-audit.jsonl) from tests/collector/meson.build.
"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import auditgen  # noqa: E402

FILTER = os.environ.get('KAG_FILTER', '')
TRIAGE = os.environ.get('KAG_TRIAGE', '')
SAMPLE = os.environ.get('KAG_SAMPLE', '')
TIMEOUT = 30.0


def json_lines(data):
    return [json.loads(line) for line in data.decode('utf-8').splitlines()]


def verdicts_of(records):
    return [r for r in records if 'error' not in r]


def errors_of(records):
    return [r['error'] for r in records if 'error' in r]


class Confirmed:
    """kag-filter --confirm driven like rsyslog's omprog drives it."""

    def __init__(self, case, out_path, *args):
        self.case = case
        self.out_path = out_path
        self.proc = subprocess.Popen([FILTER, '--confirm', '--output=' + out_path] + list(args),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.buf = b''

    def read_line(self):
        """The next confirmation line, or None at end of stdout."""
        deadline = time.monotonic() + TIMEOUT
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            self.case.assertGreater(left, 0, 'no confirmation within %ds' % TIMEOUT)
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode('utf-8')

    def send(self, line):
        self.proc.stdin.write(line.encode('utf-8') + b'\n')
        self.proc.stdin.flush()

    def records(self):
        if not os.path.exists(self.out_path):
            return []
        with open(self.out_path, 'rb') as f:
            return json_lines(f.read())

    def finish(self):
        """Close stdin; return (exit status, rest of stdout, stderr)."""
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        err = self.proc.stderr.read()
        rc = self.proc.wait(timeout=TIMEOUT)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc, self.buf + rest, err.decode('utf-8', 'replace')

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if not f.closed:
                f.close()


class FilterTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='kag-filter-')
        self.out = os.path.join(self.tmp.name, 'verdicts.jsonl')

    def tearDown(self):
        self.tmp.cleanup()

    def run_filter(self, args, data):
        return subprocess.run([FILTER] + args, input=data, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=TIMEOUT)

    def confirmed(self, *args):
        c = Confirmed(self, self.out, *args)
        self.addCleanup(c.kill)
        self.assertEqual(c.read_line(), 'OK', 'no start confirmation')
        return c

    # -- plain mode ------------------------------------------------------

    def test_plain_equals_triage_on_the_sample(self):
        """Message by message, with one session: the same verdicts as
        kag-triage on the file (the sample's probing burst spans ten
        messages)."""
        with open(SAMPLE, 'rb') as f:
            data = f.read()
        got = self.run_filter(['--all'], data)
        self.assertEqual(got.returncode, 0, got.stderr)
        self.assertEqual(got.stderr, b'')
        want = subprocess.run([TRIAGE, '--all', SAMPLE], stdout=subprocess.PIPE, timeout=TIMEOUT)
        self.assertEqual(want.returncode, 1)  # the sample's line 23 is rejected
        got_r, want_r = json_lines(got.stdout), json_lines(want.stdout)
        self.assertEqual([auditgen.verdict_key(v) for v in verdicts_of(got_r)],
                         [auditgen.verdict_key(v) for v in verdicts_of(want_r)])
        self.assertTrue(any(v['detector'] == 'rbac_probing' and v.get('correlation', {}).get(
            'count', 0) >= 10 for v in verdicts_of(got_r)), 'no probing burst across messages')
        for v in verdicts_of(got_r):
            self.assertIsNone(v['event']['source'])
        # the sample's cut-short record, reported on its own message
        self.assertEqual([e['code'] for e in errors_of(got_r)],
                         [e['code'] for e in errors_of(want_r)])

    def test_plain_writes_each_message_before_reading_on(self):
        """A collector sees a message's verdicts while kag-filter waits for
        the next one."""
        p = subprocess.Popen([FILTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            p.stdin.write(auditgen.record(0, kind='exec').encode() + b'\n')
            p.stdin.flush()
            ready, _, _ = select.select([p.stdout], [], [], TIMEOUT)
            self.assertTrue(ready, 'verdict not written while input stays open')
            v = json.loads(p.stdout.readline())
            self.assertEqual((v['detector'], v['event']['auditID']),
                             ('interactive_access', auditgen.audit_id(0)))
            p.stdin.close()
            self.assertEqual(p.stdout.read(), b'')
            self.assertEqual(p.wait(timeout=TIMEOUT), 0)
            self.assertEqual(p.stderr.read(), b'')
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            for f in (p.stdin, p.stdout, p.stderr):
                f.close()

    def test_plain_final_line_without_line_end(self):
        got = self.run_filter([], auditgen.record(0, kind='exec').encode())
        self.assertEqual(got.returncode, 0)
        self.assertEqual([v['detector'] for v in json_lines(got.stdout)], ['interactive_access'])

    def test_one_message_is_one_record(self):
        """A record cut short at its line end is an error of its own
        message; the next message is judged normally."""
        cut = auditgen.record(1, kind='secret')[:-20]
        data = (cut + '\n' + auditgen.record(2, kind='exec') + '\n' + '{"verb":\n').encode()
        got = self.run_filter([], data)
        self.assertEqual(got.returncode, 0)
        recs = json_lines(got.stdout)
        self.assertEqual(len(recs), 3, recs)
        self.assertEqual(recs[0]['error']['code'], 'KAG_ETRUNCATED')
        self.assertEqual(recs[1]['event']['auditID'], auditgen.audit_id(2))
        self.assertEqual(recs[2]['error']['code'], 'KAG_ETRUNCATED')

    def test_error_limit(self):
        """The first 10 error records of a kind, then error_summary records
        at 100 held back and at the end; --error-limit=0 writes them all."""
        data = b'{}\n' * 250 + b'{"verb":"get","auditID":"x"}\n'
        got = self.run_filter([], data)
        self.assertEqual(got.returncode, 0)
        recs = json_lines(got.stdout)
        self.assertEqual(len(errors_of(recs)), 10)
        msg = ('not an audit event: none of verb, auditID, stage, requestURI, objectRef, '
               'user is present')
        self.assertEqual([r['error_summary'] for r in recs if 'error_summary' in r], [
            {'code': 'KAG_ESCHEMA', 'message': msg, 'records': 110, 'suppressed': 100},
            {'code': 'KAG_ESCHEMA', 'message': msg, 'records': 250, 'suppressed': 240}])
        got = self.run_filter(['--error-limit=0'], data)
        self.assertEqual(len(errors_of(json_lines(got.stdout))), 250)

    def test_error_record_shape(self):
        got = self.run_filter([], b'hello world\n"text"\n{"verb":7}\n')
        self.assertEqual(got.returncode, 0)
        recs = json_lines(got.stdout)
        self.assertEqual(recs[:2], [
            {'error': {'code': 'KAG_EPARSE',
                       'message': 'not JSON (a line of 11 bytes that starts with no JSON '
                                  'object or array)',
                       'source': None, 'line': 1, 'offset': 0}},
            {'error': {'code': 'KAG_ESCHEMA',
                       'message': 'expected an audit event object, got string',
                       'source': None, 'line': 2, 'offset': 0}}])
        # a field at fault: its JSON pointer
        self.assertEqual(len(recs), 3)
        self.assertEqual((recs[2]['error']['code'], recs[2]['error']['path']),
                         ('KAG_ESCHEMA', '/verb'))
        self.assertEqual(sorted(recs[2]['error']),
                         ['code', 'line', 'message', 'offset', 'path', 'source'])
        # the line is the message's, the pointer not repeated in the message
        self.assertEqual((recs[2]['error']['line'], recs[2]['error']['message']),
                         (3, 'expected string, got integer'))

    def test_overlong_message_is_dropped_and_reported(self):
        big = '{"verb":"' + 'x' * 5000 + '"}'
        data = (big + '\n' + auditgen.record(3, kind='exec') + '\n').encode()
        got = self.run_filter(['--max-line=1000'], data)
        self.assertEqual(got.returncode, 0, got.stderr)
        recs = json_lines(got.stdout)
        self.assertEqual(recs[0], {'error': {'code': 'KAG_ELIMIT',
                                             'message': 'message longer than 1000 bytes (dropped)',
                                             'source': None, 'line': 1, 'offset': 0}})
        self.assertEqual([r['event']['auditID'] for r in recs[1:]], [auditgen.audit_id(3)])

    def test_metrics_file(self):
        """--metrics-file: the Prometheus text format, read by the reference
        parser (python3-prometheus-client), with counts that equal what
        was written: events judged by format, records rejected by code,
        verdicts by detector and assessment, the judge latency histogram
        and the session tables."""
        from prometheus_client.parser import text_string_to_metric_families

        metrics = os.path.join(self.tmp.name, 'kag.prom')
        data = (auditgen.record(1, kind='exec') + '\n' + 'not json\n' +
                auditgen.record(2, kind='exec') + '\n' + '{"verb": 3}\n').encode()
        got = self.run_filter(['--all', '--metrics-file=' + metrics], data)
        self.assertEqual(got.returncode, 0, got.stderr)
        recs = json_lines(got.stdout)
        with open(metrics) as f:
            families = {m.name: m for m in text_string_to_metric_families(f.read())}

        # the parser names a counter's family without its _total suffix
        def value(name, **labels):
            for fam in families.values():
                for s in fam.samples:
                    if s.name == name and all(s.labels.get(k) == v
                                              for k, v in labels.items()):
                        return s.value
            self.fail('no sample %s %r' % (name, labels))

        self.assertEqual(value('kag_records_judged_total', format='native'), 2)
        self.assertEqual(value('kag_records_rejected_total', code='KAG_EPARSE'), 1)
        self.assertEqual(value('kag_records_rejected_total', code='KAG_ESCHEMA'), 1)
        self.assertEqual(value('kag_records_skipped_total'), 0)
        written = {}
        for v in verdicts_of(recs):
            key = (v['detector'], v['assessment'])
            written[key] = written.get(key, 0) + 1
        self.assertTrue(written)
        self.assertEqual(families['kag_verdicts'].type, 'counter')
        for fam_sample in families['kag_verdicts'].samples:
            key = (fam_sample.labels['detector'], fam_sample.labels['assessment'])
            self.assertEqual(fam_sample.value, written.get(key, 0), key)
        # one latency observation per non-blank message
        self.assertEqual(families['kag_judge_seconds'].type, 'histogram')
        self.assertEqual(value('kag_judge_seconds_count'), 4)
        self.assertEqual(value('kag_judge_seconds_bucket', le='+Inf'), 4)
        self.assertEqual(value('kag_session_events_total'), 2)
        self.assertEqual(value('kag_correlation_entries', table='dedup'), 2)
        self.assertEqual(value('kag_correlation_capacity', table='dedup'), 65536)
        self.assertEqual(families['kag_correlation_entries'].type, 'gauge')

    def test_schema_option(self):
        """--schema=ocsf|ecs: the same verdicts (by id, in order) as OCSF
        Detection Findings or ECS documents; error records stay kag's."""
        with open(SAMPLE, 'rb') as f:
            data = f.read()
        kag_recs = json_lines(self.run_filter(['--all'], data).stdout)
        ids = [v['id'] for v in verdicts_of(kag_recs)]
        for schema, id_of, check in (
                ('ocsf', lambda r: r['finding_info']['uid'], lambda r: r['class_uid'] == 2004),
                ('ecs', lambda r: r['event']['id'], lambda r: r['ecs']['version'] == '8.11.0')):
            got = self.run_filter(['--all', '--schema', schema], data)
            self.assertEqual(got.returncode, 0, got.stderr)
            recs = json_lines(got.stdout)
            # kag's error records have one member; an ECS document of a
            # denied request has an "error" field set among many
            findings = [r for r in recs if list(r) != ['error']]
            self.assertEqual([id_of(r) for r in findings], ids, schema)
            self.assertTrue(all(check(r) for r in findings), schema)
            self.assertEqual([r['error']['code'] for r in recs if list(r) == ['error']],
                             [e['code'] for e in errors_of(kag_recs)])

    def test_usage_errors(self):
        for args in (['--confirm'], ['--confirm', '--output=-'], ['--bogus'],
                     ['--max-line=0'], ['--format=xml'], ['--metrics-every=0'],
                     ['--policy'], ['--schema=xml']):
            got = self.run_filter(args, b'')
            self.assertEqual(got.returncode, 2, args)
            self.assertEqual(got.stdout, b'', args)
            self.assertTrue(got.stderr.startswith(b'kag-filter: '), args)

    def test_policy_file_error_stops_before_ready(self):
        bad = os.path.join(self.tmp.name, 'policy.json')
        with open(bad, 'w') as f:
            f.write('{"version": 1, "thresholds": {"probe": "x"}}')
        got = self.run_filter(['--confirm', '--output=' + self.out, '--policy=' + bad], b'')
        self.assertEqual(got.returncode, 1)
        self.assertEqual(got.stdout, b'', 'confirmed start with a bad policy')

    # -- confirmed mode (rsyslog omprog) --------------------------------

    def test_confirm_protocol(self):
        c = self.confirmed('--all')
        self.assertFalse(os.path.exists(self.out) and os.path.getsize(self.out),
                         'output before any message')
        expected = 0
        for i in range(5):
            c.send(auditgen.record(i))
            self.assertEqual(c.read_line(), 'OK')
            recs = c.records()
            # written before the confirmation: nothing is confirmed unwritten
            self.assertGreater(len(recs), expected, 'message %d confirmed before its verdicts' % i)
            self.assertEqual({r['event']['auditID'] for r in recs[expected:]},
                             {auditgen.audit_id(i)})
            expected = len(recs)
        c.send('')
        self.assertEqual(c.read_line(), 'OK')
        c.send('not json at all')
        self.assertEqual(c.read_line(), 'OK')
        self.assertEqual(c.records()[expected:], [{'error': {
            'code': 'KAG_EPARSE',
            'message': 'not JSON (a line of 15 bytes that starts with no JSON object or array)',
            'source': None, 'line': 7, 'offset': 0}}])  # the 7th message
        expected += 1
        # held until a later stage or the end of the stream
        c.send(auditgen.record(7, kind='secret', stage='RequestReceived'))
        self.assertEqual(c.read_line(), 'OK')
        self.assertEqual(len(c.records()), expected)
        rc, rest, err = c.finish()
        self.assertEqual((rc, rest, err), (0, b'', ''))
        flushed = c.records()[expected:]
        self.assertEqual([(v['event']['auditID'], v['detector'], v['assessment']) for v in flushed],
                         [(auditgen.audit_id(7), 'secrets_access', 'needs_context')])

    def test_confirm_output_appends(self):
        with open(self.out, 'w') as f:
            f.write('{"earlier":true}\n')
        c = self.confirmed()
        c.send(auditgen.record(0, kind='exec'))
        self.assertEqual(c.read_line(), 'OK')
        self.assertEqual(c.finish()[0], 0)
        recs = c.records()
        self.assertEqual(recs[0], {'earlier': True})
        self.assertEqual([r['detector'] for r in recs[1:]], ['interactive_access'])

    def test_sigterm_flushes_and_exits(self):
        c = self.confirmed()
        c.send(auditgen.record(8, kind='secret', stage='RequestReceived'))
        self.assertEqual(c.read_line(), 'OK')
        self.assertEqual(c.records(), [])
        c.proc.send_signal(signal.SIGTERM)
        self.assertEqual(c.proc.wait(timeout=TIMEOUT), 0)
        self.assertEqual(c.proc.stdout.read(), b'')
        self.assertEqual(c.proc.stderr.read(), b'')
        self.assertEqual([(v['event']['auditID'], v['assessment']) for v in c.records()],
                         [(auditgen.audit_id(8), 'needs_context')])

    def test_sigterm_while_input_keeps_coming(self):
        """A termination signal is taken between messages even when input
        is always ready (a reader faster than kag-filter: `yes RECORD`)."""
        src = subprocess.Popen(['yes', auditgen.record(0, kind='exec')], stdout=subprocess.PIPE)
        p = subprocess.Popen([FILTER], stdin=src.stdout, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        src.stdout.close()
        try:
            time.sleep(0.3)
            self.assertIsNone(p.poll())
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=TIMEOUT), 0)
            self.assertEqual(p.stderr.read(), b'')
        finally:
            for proc in (p, src):
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
            p.stderr.close()

    def test_partial_message_at_eof_is_not_judged_in_confirm_mode(self):
        """rsyslog ends every message with a line end: a fragment at end of
        input was never sent whole, and is sent again to the next instance."""
        c = self.confirmed()
        c.proc.stdin.write(auditgen.record(9, kind='exec').encode())
        rc, rest, err = c.finish()
        self.assertEqual((rc, rest), (0, b''))
        self.assertIn('left unconfirmed', err)
        self.assertEqual(c.records(), [])

    def test_sighup_reopens_the_output(self):
        c = self.confirmed()
        c.send(auditgen.record(0, kind='exec'))
        self.assertEqual(c.read_line(), 'OK')
        rotated = self.out + '.1'
        os.rename(self.out, rotated)
        c.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(self.out):  # reopened: created anew
            self.assertLess(time.monotonic(), deadline, 'output not reopened on SIGHUP')
            time.sleep(0.01)
        c.send(auditgen.record(5, kind='exec'))
        self.assertEqual(c.read_line(), 'OK')
        self.assertEqual(c.finish()[0], 0)
        with open(rotated, 'rb') as f:
            self.assertEqual([r['event']['auditID'] for r in json_lines(f.read())],
                             [auditgen.audit_id(0)])
        self.assertEqual([r['event']['auditID'] for r in c.records()], [auditgen.audit_id(5)])

    @unittest.skipUnless(os.path.exists('/dev/full'), 'no /dev/full')
    def test_unwritable_output_leaves_the_message_unconfirmed(self):
        c = Confirmed(self, '/dev/full')
        self.addCleanup(c.kill)
        self.assertEqual(c.read_line(), 'OK')
        c.send(auditgen.record(0, kind='exec'))
        rc, rest, err = c.finish()
        self.assertEqual(rc, 1)
        self.assertEqual(rest, b'', 'a message was confirmed without its verdicts')
        self.assertIn('write error', err)


if __name__ == '__main__':
    if not FILTER or not TRIAGE or not SAMPLE:
        sys.exit('KAG_FILTER, KAG_TRIAGE and KAG_SAMPLE must be set (run through meson test)')
    unittest.main(verbosity=2)

"""Shared helpers of the command-line tests.

The programs under test come from the environment set by tests/cli/meson.build:
KAG_TRIAGE, KAG_EX_PARSE, KAG_EX_GATE, KAG_EX_CUSTOM (built executables),
KAG_SAMPLE (examples/sample-audit.jsonl) and KAG_PROJECT_VERSION.
"""
import json
import os
import re
import subprocess
import unittest

TRIAGE = os.environ.get('KAG_TRIAGE', '')
EX_PARSE = os.environ.get('KAG_EX_PARSE', '')
EX_GATE = os.environ.get('KAG_EX_GATE', '')
EX_CUSTOM = os.environ.get('KAG_EX_CUSTOM', '')
SAMPLE = os.environ.get('KAG_SAMPLE', '')
PROJECT_VERSION = os.environ.get('KAG_PROJECT_VERSION', '')

# The verdict record contract (design.md section 6).
CONTRACT_KEYS = ('detector', 'assessment', 'outcome', 'severity', 'confidence', 'attack',
                 'reason', 'event', 'evidence', 'missing', 'inferred')
EVENT_KEYS = ('auditID', 'stage', 'level', 'time', 'format', 'source')
ASSESSMENTS = ('benign', 'suspicious', 'malicious', 'needs_context')
OUTCOMES = ('allowed', 'denied', 'in_progress', 'error', 'unknown')
SEVERITIES = ('info', 'low', 'medium', 'high', 'critical')
CONFIDENCES = ('low', 'medium', 'high')
BUILTIN_DETECTORS = ('interactive_access', 'impersonation', 'rbac_probing', 'secrets_access',
                     'controller_baseline')

# Line numbers of the bundled sample that the tests rely on.
TRUNCATED_LINE = 23
# kag-triage's exit status on the sample: 1, as line 23 is rejected (design
# section 7: 0 only when every record was read and judged).
SAMPLE_STATUS = 1


def status_of(stdout):
    """kag-triage's exit status for what it wrote (without --fail-on): 1
    when a record was rejected, as an error record, an error_summary
    record or an ERROR/ERRORS row of the table, else 0."""
    for line in stdout.splitlines():
        if line.startswith(b'{"error') or line.split()[1:2] in ([b'ERROR'], [b'ERRORS']):
            return 1
    return 0


def run(argv, stdin=None, timeout=120):
    """Run a program; stdin is bytes, str or None (no input)."""
    if isinstance(stdin, str):
        stdin = stdin.encode('utf-8')
    return subprocess.run(argv, input=stdin if stdin is not None else b'',
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def triage(*args, stdin=None):
    return run([TRIAGE] + list(args), stdin=stdin)


def text(proc):
    return proc.stdout.decode('utf-8')


def json_lines(proc, case):
    """Every stdout line parsed as one JSON object."""
    out = []
    for n, line in enumerate(text(proc).splitlines(), 1):
        case.assertTrue(line.strip(), 'empty output line %d' % n)
        try:
            obj = json.loads(line)
        except ValueError as e:
            case.fail('output line %d is not JSON (%s): %r' % (n, e, line[:200]))
        case.assertIsInstance(obj, dict, 'output line %d is not a JSON object' % n)
        out.append(obj)
    return out


def verdicts(records):
    return [r for r in records if 'detector' in r]


def errors(records):
    return [r for r in records if 'error' in r]


def line_of(source):
    """'path/file.jsonl:12' -> 12."""
    m = re.search(r':(\d+)$', source or '')
    return int(m.group(1)) if m else None


def sample_lines():
    with open(SAMPLE, 'rb') as f:
        return f.read().split(b'\n')


def sample_line(n):
    """Line n (1-based) of the sample, with its newline."""
    return sample_lines()[n - 1] + b'\n'


def key(v):
    """What identifies a verdict across runs that name the input differently."""
    return (v['detector'], line_of(v['event']['source']), v['assessment'], v['outcome'],
            v['severity'])


class CliCase(unittest.TestCase):
    required = ('TRIAGE', 'SAMPLE')

    def setUp(self):
        for name in self.required:
            if not globals()[name]:
                self.fail('KAG_%s is not set (run through meson test)' % name)

    def assertExit(self, proc, code, what):
        self.assertEqual(proc.returncode, code, '%s: exit %d, stderr: %s'
                         % (what, proc.returncode, proc.stderr.decode('utf-8', 'replace')))

"""bash completion of the tools (examples/completion/kag-triage): the
completion function is driven in bash as readline would call it (COMP_WORDS,
COMP_CWORD) and its candidates compared exactly.

Environment: KAG_COMPLETION (the script), KAG_TRIAGE, KAG_FILTER and, when
they are built, KAG_WEBHOOK and KAG_KAFKA (the built tools, called by the
completion for --help and --list-detectors).
Skipped (77) without bash.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from clitest import TRIAGE

SCRIPT = os.environ.get('KAG_COMPLETION', '')
FILTER = os.environ.get('KAG_FILTER', '')
WEBHOOK = os.environ.get('KAG_WEBHOOK', '')
KAFKA = os.environ.get('KAG_KAFKA', '')
BASH = shutil.which('bash')

DRIVER = r'''
source "$1" || exit 9
shift
fn=$1
shift
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
"$fn" || exit 8
printf '%s\n' "${COMPREPLY[@]}"
'''


def long_options(tool):
    """The long options the tool's --help lists, in its order, each once."""
    out = subprocess.run([tool, '--help'], stdout=subprocess.PIPE, check=True).stdout.decode()
    return list(dict.fromkeys(re.findall(r'(?m)^ +(?:-\w, +)?(--[\w-]+)', out)))


class Completion(unittest.TestCase):
    def complete(self, fn, *words, cwd=None):
        """Candidates for the last of words (the word under the cursor)."""
        got = subprocess.run([BASH, '--norc', '--noprofile', '-c', DRIVER, 'drive', SCRIPT, fn]
                             + list(words), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=cwd, timeout=60)
        self.assertEqual(got.returncode, 0, got.stderr.decode())
        self.assertEqual(got.stderr, b'')
        return [w for w in got.stdout.decode().split('\n') if w]

    def triage(self, *words, **kw):
        return self.complete('_kag_triage', TRIAGE, *words, **kw)

    def filter(self, *words, **kw):
        return self.complete('_kag_filter', FILTER, *words, **kw)

    def test_every_option_from_help(self):
        tools = [('_kag_triage', TRIAGE), ('_kag_filter', FILTER)]
        if WEBHOOK:
            tools.append(('_kag_webhook', WEBHOOK))
        if KAFKA:
            tools.append(('_kag_kafka', KAFKA))
        for fn, tool in tools:
            opts = long_options(tool)
            self.assertGreater(len(opts), 15, tool)
            self.assertEqual(self.complete(fn, tool, '--'), opts)

    def test_option_prefix(self):
        self.assertEqual(self.triage('--fo'), ['--format'])
        self.assertEqual(self.triage('--f'), ['--format', '--fail-on'])
        self.assertEqual(self.filter('--me'), ['--metrics-file', '--metrics-every'])
        self.assertEqual(self.triage('--nonesuch'), [])

    def test_format_values(self):
        every = ['auto', 'native', 'eventlist', 'gke', 'eks', 'aks', 'openshift']
        self.assertEqual(self.triage('--format', ''), every)
        self.assertEqual(self.filter('--format', ''), every)
        self.assertEqual(self.triage('-f', 'e'), ['eventlist', 'eks'])
        # --opt=VALUE, split at '=' by COMP_WORDBREAKS (bash's default) ...
        self.assertEqual(self.triage('--format', '=', 'g'), ['gke'])
        self.assertEqual(self.triage('--format', '='), every)
        # ... and as one word when '=' is not a word break
        self.assertEqual(self.triage('--format=e'), ['--format=eventlist', '--format=eks'])

    def test_other_values(self):
        self.assertEqual(self.triage('--output', ''), ['json', 'text', 'ocsf', 'ecs'])
        self.assertEqual(self.filter('--schema', '=', 'e'), ['ecs'])
        self.assertEqual(self.triage('-o', 't'), ['text'])
        self.assertEqual(self.triage('--min-severity', 'h'), ['high'])
        self.assertEqual(self.triage('--fail-on', '=', 'c'), ['critical'])
        self.assertEqual(self.triage('--assessment', ''),
                         ['benign', 'suspicious', 'malicious', 'needs_context'])
        self.assertEqual(self.triage('--assessment=malicious,ne'),
                         ['--assessment=malicious,needs_context'])
        self.assertEqual(self.triage('--parser', ''), ['fast', 'jansson'])
        # numbers: no candidates, and no file names either
        self.assertEqual(self.triage('--jobs', ''), [])
        self.assertEqual(self.filter('--metrics-every', ''), [])

    def test_detectors(self):
        listed = re.findall(r'(?m)^([a-z][a-z0-9_]*)$', subprocess.run(
            [TRIAGE, '--list-detectors'], stdout=subprocess.PIPE, check=True).stdout.decode())
        self.assertGreaterEqual(len(listed), 15)
        self.assertEqual(self.triage('--detector', ''), listed)
        self.assertEqual(self.triage('--detector', 'rbac_'), ['rbac_probing', 'rbac_escalation'])
        self.assertEqual(self.triage('--detector', 'secrets_access,rbac_p'),
                         ['secrets_access,rbac_probing'])

    def test_files(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ('policy.json', 'rules.json', 'audit.log'):
                open(os.path.join(d, name), 'w').close()
            # a FILE value: every file; then operands (kag-triage reads FILEs)
            self.assertEqual(sorted(self.triage('--policy', '', cwd=d)),
                             ['audit.log', 'policy.json', 'rules.json'])
            self.assertEqual(self.triage('-r', 'ru', cwd=d), ['rules.json'])
            self.assertEqual(self.triage('--baseline=po', cwd=d), ['--baseline=policy.json'])
            self.assertEqual(self.triage('--all', 'au', cwd=d), ['audit.log'])
            # after --, a word starting with '-' is an operand
            self.assertEqual(self.triage('--', '--fo', cwd=d), [])
            # kag-filter's --output is a FILE; it takes no operands (stdin)
            self.assertEqual(self.filter('--output', 'a', cwd=d), ['audit.log'])
            self.assertEqual(self.filter('a', cwd=d), [])
            if WEBHOOK:
                # TLS files are files; the webhook takes no operands
                self.assertEqual(self.complete('_kag_webhook', WEBHOOK, '--tls-key', 'p', cwd=d),
                                 ['policy.json'])
                self.assertEqual(self.complete('_kag_webhook', WEBHOOK, 'a', cwd=d), [])
                self.assertEqual(self.complete('_kag_webhook', WEBHOOK, '--tls'),
                                 ['--tls-cert', '--tls-key'])
            if KAFKA:
                self.assertEqual(self.complete('_kag_kafka', KAFKA, '--output', 'a', cwd=d),
                                 ['audit.log'])
                self.assertEqual(self.complete('_kag_kafka', KAFKA, '--output-topic', ''), [])
                self.assertEqual(self.complete('_kag_kafka', KAFKA, 'a', cwd=d), [])


if __name__ == '__main__':
    if not BASH:
        print('bash not found: skipped')
        sys.exit(77)
    unittest.main(verbosity=2)

"""Golden verdict streams: kag-triage's whole output on fixed inputs, compared
byte for byte with the files under tests/golden/expected/. Every case runs
with both front ends and with --jobs 1 and 2, which must all give the
expected stream. A records-* case judges each record of a corpus file on its
own, in a fresh kag-triage (no correlation with its neighbours): its stream
is each record's output after a "# record N of FILE" line.

    python3 tests/golden/golden.py KAG_TRIAGE KAG_BENCH            # check
    python3 tests/golden/golden.py KAG_TRIAGE KAG_BENCH --update   # rewrite
    ... --only=NAME[,NAME...]     # only these cases (with --update: rewrite only them)

Run it from the source tree's root (sources in the records are the paths
given here, relative to it). --update is for a deliberate change of
behaviour only: review the diff of tests/golden/expected/ before committing.
"""
import difflib
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPECTED = os.path.join(ROOT, 'tests', 'golden', 'expected')
DATA = 'tests/data'


def data_files(sub):
    """Every file of tests/data/SUB, sorted, relative to the root."""
    d = os.path.join(ROOT, DATA, sub)
    return [os.path.join(DATA, sub, f) for f in sorted(os.listdir(d))
            if os.path.isfile(os.path.join(d, f))]


# Corpus files of independent test records (a peer's fixtures, one test
# each), judged record by record: (case name, file).
RECORD_FILES = [
    ('records-panther-eks', 'tests/data/panther-analysis/eks_audit_native_events.jsonl'),
]


def cases(bench):
    """(name, kag-triage arguments, standard input bytes, a list of them to
    judge one by one, or None)."""
    out = [
        ('sample', ['--all', '--summary', 'examples/sample-audit.jsonl'], None),
        ('sample-alerts', ['examples/sample-audit.jsonl'], None),
        ('sample-text', ['--output=text', '--all', '--summary', 'examples/sample-audit.jsonl'],
         None),
        ('sample-policy-rules', ['--all', '--policy=examples/policy.json',
                                 '--rules=examples/rules.json', 'examples/sample-audit.jsonl'],
         None),
        ('hostile', ['--all', '--summary', '--error-limit=0', 'tests/golden/hostile.jsonl'],
         None),
    ]
    for sub in sorted(os.listdir(os.path.join(ROOT, DATA))):
        if os.path.isdir(os.path.join(ROOT, DATA, sub)):
            out.append(('data-' + sub, ['--all', '--summary', '--error-limit=0'] +
                        data_files(sub), None))
    stream = subprocess.run([bench, '--dump', '--events=1000'], check=True,
                            stdout=subprocess.PIPE).stdout
    out.append(('bench-stream', ['--all', '--summary', '-'], stream))
    for name, path in RECORD_FILES:
        with open(os.path.join(ROOT, path), 'rb') as f:
            records = [line + b'\n' for line in f.read().splitlines()]
        out.append((name, ['--all', '-'], records))
    return out


def run(triage, extra, args, stdin, label):
    """kag-triage's output and exit status, or for a list of inputs each
    one's, after a line naming the record."""
    if not isinstance(stdin, list):
        p = subprocess.run([triage] + extra + args, input=stdin or b'',
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return p.stdout + ('exit %d\n' % p.returncode).encode()
    out = []
    for i, record in enumerate(stdin, 1):
        out.append(('# record %d of %s\n' % (i, label)).encode())
        out.append(run(triage, extra, args, record, label))
    return b''.join(out)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    triage, bench = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    update = '--update' in argv[3:]
    only = [a[len('--only='):].split(',') for a in argv[3:] if a.startswith('--only=')]
    os.chdir(ROOT)
    failed = 0
    labels = dict(RECORD_FILES)
    for name, args, stdin in cases(bench):
        if only and name not in only[0]:
            continue
        path = os.path.join(EXPECTED, name + '.out')
        runs = {}
        for extra in (['--parser=fast', '--jobs=1'], ['--parser=jansson', '--jobs=1'],
                      ['--parser=fast', '--jobs=2'], ['--parser=jansson', '--jobs=2']):
            runs[' '.join(extra)] = run(triage, extra, args, stdin, labels.get(name))
        first = next(iter(runs.values()))
        for how, got in runs.items():
            if got != first:
                print('%s: %s differs from the first run' % (name, how))
                failed = 1
        if update:
            os.makedirs(EXPECTED, exist_ok=True)
            with open(path, 'wb') as f:
                f.write(first)
            continue
        try:
            with open(path, 'rb') as f:
                want = f.read()
        except OSError as e:
            print('%s: no expected stream (%s); run with --update' % (name, e))
            failed = 1
            continue
        if first != want:
            failed = 1
            diff = difflib.unified_diff(want.decode('utf-8', 'replace').splitlines(),
                                        first.decode('utf-8', 'replace').splitlines(),
                                        'expected/' + name + '.out', 'got', lineterm='', n=1)
            print('\n'.join(list(diff)[:40]))
        else:
            print('%s: %d bytes as expected' % (name, len(want)))
    return failed


if __name__ == '__main__':
    sys.exit(main(sys.argv))

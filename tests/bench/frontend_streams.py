"""The two front ends on the benchmark generator's streams, through
kag-triage: for several seeds and lengths, `kag-bench --dump` gives a stream
that kag-triage judges with --parser=fast (with --jobs 1 and 2) and with
--parser=jansson, the reference; every verdict (benign ones too) and the
summary must be the same bytes, and every record judged. Events themselves
are compared field by field on such streams by the unit suite
(tests/unit/check_frontend.c); this checks the whole tool, as a user runs
it, on streams that suite does not generate.

    frontend_streams.py KAG_TRIAGE KAG_BENCH

Exits 77 (skipped) when the library was built without the fast front end.
"""
import json
import subprocess
import sys

# (seed, events): a single record, short and longer streams, seeds apart
# from those of the unit suite and of the golden stream (seed 1)
STREAMS = [(2, 1), (3, 37), (4, 600), (5, 2000), (99, 1500), (20261206, 3000),
           (18446744073709551557, 800)]

RUNS = [['--parser=jansson', '--jobs=1'], ['--parser=fast', '--jobs=1'],
        ['--parser=fast', '--jobs=2']]


def triage(exe, extra, stream):
    p = subprocess.run([exe, '--all', '--summary'] + extra + ['-'], input=stream,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    exe, bench = argv[1], argv[2]
    rc, _, err = triage(exe, ['--parser=fast'], b'')
    if rc != 0 and b'built without' in err:
        print('skipped: %s' % err.decode(errors='replace').strip())
        return 77
    failed = 0
    for seed, events in STREAMS:
        stream = subprocess.run([bench, '--dump', '--seed=%d' % seed, '--events=%d' % events],
                                check=True, stdout=subprocess.PIPE).stdout
        what = 'seed %d, %d events (%d bytes)' % (seed, events, len(stream))
        if stream.count(b'\n') != events:
            print('FAIL %s: kag-bench --dump wrote %d lines' % (what, stream.count(b'\n')))
            failed = 1
            continue
        ref = None
        for extra in RUNS:
            rc, out, err = triage(exe, extra, stream)
            how = ' '.join(extra)
            last = out.rstrip(b'\n').rsplit(b'\n', 1)[-1]
            summary = json.loads(last).get('summary', {}) if last.startswith(b'{') else {}
            if rc != 0 or summary.get('records') != events or summary.get('judged') != events:
                print('FAIL %s, %s: exit %d, summary %r, %s' %
                      (what, how, rc, {k: summary.get(k) for k in ('records', 'judged')},
                       err.decode(errors='replace').strip()))
                failed = 1
                continue
            if ref is None:
                ref = (how, out)
            elif out != ref[1]:
                at = next(i for i in range(min(len(out), len(ref[1])) + 1)
                          if out[i:i + 1] != ref[1][i:i + 1])
                print('FAIL %s: %s differs from %s at byte %d: ...%r' %
                      (what, how, ref[0], at, out[max(0, at - 80):at + 80]))
                failed = 1
        if ref is not None:
            print('ok   %s: %d bytes of verdicts, the same with every front end and --jobs' %
                  (what, len(ref[1])))
    return failed


if __name__ == '__main__':
    sys.exit(main(sys.argv))

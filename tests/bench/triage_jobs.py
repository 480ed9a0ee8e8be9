#!/usr/bin/env python3
"""kag-triage --jobs speed-up: the same generated stream judged with --jobs 1
and --jobs N (default: the cores online), each front end, runs interleaved.
Reports wall and CPU time (best and median of the runs), the speed-up of
the best wall times, and checks that every run printed the same bytes.

  triage_jobs.py KAG_TRIAGE KAG_BENCH [--events=N] [--repeat=R] [--jobs=N]
"""
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time


def main(argv):
    triage, bench = argv[1], argv[2]
    events, repeat, jobs = '200k', 5, os.cpu_count() or 1
    for a in argv[3:]:
        if a.startswith('--events='):
            events = a[9:]
        elif a.startswith('--repeat='):
            repeat = int(a[9:])
        elif a.startswith('--jobs='):
            jobs = int(a[7:])
        else:
            sys.exit('usage: triage_jobs.py KAG_TRIAGE KAG_BENCH [--events=N] [--repeat=R] '
                     '[--jobs=N]')
    with tempfile.NamedTemporaryFile(prefix='kag-jobs-', suffix='.jsonl') as f:
        subprocess.run([bench, '--dump', '--events=' + events], stdout=f, check=True)
        f.flush()
        size = os.path.getsize(f.name)
        print('stream: %s events, %.1f MB; kag-triage --jobs=1 vs --jobs=%d, %d runs each, '
              'interleaved' % (events, size / 1e6, jobs, repeat))
        configs = []
        for parser in ('fast', 'jansson'):
            for j in (1, jobs):
                configs.append(['--parser=' + parser, '--jobs=%d' % j])
        times = {tuple(c): [] for c in configs}
        digests = set()
        for _ in range(repeat):
            for c in configs:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.monotonic()
                out = subprocess.run([triage] + c + [f.name], stdout=subprocess.PIPE,
                                     check=True).stdout
                wall = time.monotonic() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                times[tuple(c)].append((wall, cpu))
                digests.add((c[0], hashlib.sha256(out).hexdigest()))
    print('%-32s %9s %9s %9s %9s' % ('', 'wall best', 'median', 'CPU best', 'median'))
    for c in configs:
        w = sorted(t[0] for t in times[tuple(c)])
        u = sorted(t[1] for t in times[tuple(c)])
        print('%-32s %8.3fs %8.3fs %8.3fs %8.3fs' % (' '.join(c), w[0], w[len(w) // 2], u[0],
                                                      u[len(u) // 2]))
    for parser in ('fast', 'jansson'):
        one = min(t[0] for t in times[('--parser=' + parser, '--jobs=1')])
        many = min(t[0] for t in times[('--parser=' + parser, '--jobs=%d' % jobs)])
        print('speed-up, %s front end: %.2fx (best wall times)' % (parser, one / many))
    # one output per front end, whatever the number of jobs
    same = len(digests) == 2
    print('outputs identical across --jobs: %s' % ('yes' if same else 'NO'))
    return 0 if same else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""kag-triage --jobs speed-up: the same generated stream judged with --jobs 1
and --jobs N (default: the cores online), each front end, runs interleaved.
Reports wall and CPU time (best and median of the runs) and the speed-up
three ways: best wall time against best, median against median, and the
median of the ratios of runs made one after the other. Checks that every run
printed the same bytes (written to a file, as a user redirects them: a
reader on a pipe would compete with the run for the cores). Where /proc/stat is readable, also reports how much
of the machine other processes used meanwhile: on a shared machine that
work slows the parallel runs most, so read the figures with it. The last
lines give the figure to quote, the paired median of the fast front end,
against the goal of 1.8x for --jobs=2 on two cores: a miss is reported, not
failed (timings on a busy machine vary); only outputs that differ fail.

What N cores give on this machine is measured in the same rounds: N
processes of --jobs 1 (fast front end) started together, each judging the
whole stream. Their capacity is the sum of their speeds, each its wall time
alone (the round's --jobs 1 run) over its wall time among the others: N on
N cores that share nothing. A host whose cores slow each other down when
all are busy (cores shared with other machines, a clock lowered when more
cores work) gives less, and --jobs N cannot do better than that. The
speed-up is reported as a share of the capacity too, paired by round.

  triage_jobs.py KAG_TRIAGE KAG_BENCH [--events=N] [--repeat=R] [--jobs=N]
"""
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def busy_ticks():
    """(busy, total) clock ticks of the whole machine, or None."""
    try:
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(v) - v[3] - v[4], sum(v)


def quartiles(v):
    """'q1 - q3' of v, or its one value."""
    if len(v) < 2:
        return '%.2f' % v[0]
    q = statistics.quantiles(v, n=4)
    return '%.2f - %.2f' % (q[0], q[2])


def concurrent(triage, args, n):
    """Start n runs of kag-triage at once, each writing to a file of its own;
    returns the wall time of each (from the common start to its end) and
    the CPU time of all."""
    outs = [tempfile.TemporaryFile() for _ in range(n)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    procs = [subprocess.Popen([triage] + args, stdout=out) for out in outs]
    walls = {}
    while len(walls) < n:
        pid, status = os.wait()
        walls[pid] = time.monotonic() - start
        if status != 0:
            sys.exit('kag-triage %s exited with status %d' % (' '.join(args), status))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for out in outs:
        out.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return [walls[p.pid] for p in procs], cpu


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
        capacity = []
        ours = 0.0
        ticks0 = busy_ticks()
        for _ in range(repeat):
            for c in configs:
                # output to a file, as `kag-triage log > verdicts` writes
                # it: a reader on a pipe would take a core from the run
                with tempfile.TemporaryFile() as out:
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    start = time.monotonic()
                    subprocess.run([triage] + c + [f.name], stdout=out, check=True)
                    wall = time.monotonic() - start
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    out.seek(0)
                    digests.add((c[0], hashlib.sha256(out.read()).hexdigest()))
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                ours += cpu
                times[tuple(c)].append((wall, cpu))
                if c == configs[0]:
                    # right after the run alone it is compared with
                    walls, cpu = concurrent(triage, c + [f.name], jobs)
                    ours += cpu
                    capacity.append(sum(wall / w for w in walls))
        ticks1 = busy_ticks()
    print('%-32s %9s %9s %9s %9s' % ('', 'wall best', 'median', 'CPU best', 'median'))
    for c in configs:
        w = [t[0] for t in times[tuple(c)]]
        u = [t[1] for t in times[tuple(c)]]
        print('%-32s %8.3fs %8.3fs %8.3fs %8.3fs' % (' '.join(c), min(w), statistics.median(w),
                                                      min(u), statistics.median(u)))
    figure, wall_times = {}, {}
    for parser in ('fast', 'jansson'):
        one = [t[0] for t in times[('--parser=' + parser, '--jobs=1')]]
        many = [t[0] for t in times[('--parser=' + parser, '--jobs=%d' % jobs)]]
        paired = statistics.median(a / b for a, b in zip(one, many))
        figure[parser] = paired
        wall_times[parser] = (one, many)
        print('speed-up, %s front end: %.2fx best, %.2fx median, %.2fx paired median' %
              (parser, min(one) / min(many), statistics.median(one) / statistics.median(many),
               paired))
    if ticks0 and ticks1 and ticks1[1] > ticks0[1]:
        hz = os.sysconf('SC_CLK_TCK') if hasattr(os, 'sysconf') else 100
        busy = (ticks1[0] - ticks0[0]) / hz
        total = (ticks1[1] - ticks0[1]) / hz
        others = max(0.0, busy - ours)
        print('other processes used %.0f%% of the machine during the runs' %
              (100.0 * others / total if total else 0.0))
    # one output per front end, whatever the number of jobs
    same = len(digests) == 2
    print('outputs identical across --jobs: %s' % ('yes' if same else 'NO'))
    share = [a / b / c for a, b, c in zip(*wall_times['fast'], capacity)]
    print('capacity of %d cores, %d --jobs=1 runs at once over one alone: median %.2fx '
          '(quartiles %s); --jobs=%d reaches %.0f%% of it (paired median)' %
          (jobs, jobs, statistics.median(capacity), quartiles(capacity), jobs,
           100.0 * statistics.median(share)))
    goal = ''
    if jobs == 2:
        goal = '; goal >= 1.80x: %s' % ('met' if figure['fast'] >= 1.8 else
                                        'NOT MET (reported, not failed)')
    print('kag-triage --jobs=%d over --jobs=1, fast front end, wall time, paired median of '
          '%d runs: %.2fx%s' % (jobs, repeat, figure['fast'], goal))
    return 0 if same else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))

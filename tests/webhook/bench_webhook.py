#!/usr/bin/env python3
"""kag-webhook throughput: the generated audit stream of tests/bench
(kag-bench --dump) in EventList batches of 1,000 events, posted over
loopback TLS (a bearer token too, as an apiserver would be set up) by
concurrent posters in this script, each on its own keep-alive connection
and waiting for each answer as the apiserver does; against kag-triage over
the same EventList bodies (one per line) in the same run, with --jobs=1 (one
judging thread, as kag-webhook has) and with its default --jobs. Reports
events/s of each (best of the runs) and the ratios. Both write their
records to a file. The posters share the machine with kag-webhook, so the
wall-clock figure is what one machine does end to end, client included;
the CPU figure (kag-webhook's own CPU time, from its rusage) leaves the
client out.

  bench_webhook.py KAG_WEBHOOK KAG_TRIAGE KAG_BENCH [--events=N] [--batch=N]
                   [--posters=N] [--repeat=R]
"""
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import certs  # noqa: E402
from webhooktest import Client, Server, eventlist, tls_context  # noqa: E402


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_webhook(exe, tmp, files, token_file, bodies, posters, run):
    cpu0 = child_cpu()
    srv = Server(exe, tmp, 'bench-%d' % run, [
        '--tls-cert=' + files['server'][0], '--tls-key=' + files['server'][1],
        '--token-file=' + token_file, '--threads=%d' % min(posters, 4)])
    with open(token_file) as f:
        token = f.read().strip()
    ctx = tls_context(files['ca'])
    clients = [Client(srv.port, ctx, token) for _ in range(posters)]
    errors = []
    for c in clients:  # connections (and TLS sessions) made before timing
        st, _, _ = c.request(method='GET', path='/healthz', ctype=None)
        assert st == 200

    def post(k):
        try:
            for b in range(k, len(bodies), posters):
                clients[k].send_batch(bodies[b])
        except Exception as e:
            errors.append(repr(e))

    ts = [threading.Thread(target=post, args=(k,)) for k in range(posters)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.monotonic() - t0
    retries = sum(1 for c in clients for a in c.attempts if a != 200)
    for c in clients:
        c.close()
    rc = srv.stop()
    cpu = child_cpu() - cpu0  # kag-webhook's CPU time (openssl runs before)
    if errors or rc != 0:
        sys.exit('kag-webhook run failed: exit %d, %s' % (rc, errors[:3]))
    with open(srv.out, 'rb') as f:
        verdicts = sum(1 for line in f if b'"detector":' in line)
    os.unlink(srv.out)
    return wall, cpu, retries, verdicts


def run_triage(exe, path, out, jobs):
    cpu0 = child_cpu()
    t0 = time.monotonic()
    with open(out, 'wb') as f:
        subprocess.run([exe, '--jobs=%d' % jobs, path] if jobs else [exe, path],
                       stdout=f, check=True)
    wall = time.monotonic() - t0
    cpu = child_cpu() - cpu0
    with open(out, 'rb') as f:
        verdicts = sum(1 for line in f if b'"detector":' in line)
    return wall, cpu, verdicts


def main(argv):
    webhook, triage, bench = argv[1:4]
    events, batch, posters, repeat = 200000, 1000, 4, 3
    for a in argv[4:]:
        k, _, v = a.partition('=')
        if k == '--events':
            events = int(v)
        elif k == '--batch':
            batch = int(v)
        elif k == '--posters':
            posters = int(v)
        elif k == '--repeat':
            repeat = int(v)
        else:
            sys.exit(__doc__)
    if not webhook or not os.path.exists(webhook):
        print('kag-webhook is not built: skipped')
        return 77
    with tempfile.TemporaryDirectory(prefix='kag-webhook-bench-') as tmp:
        files = certs.make(tmp)
        token_file = os.path.join(tmp, 'token')
        with open(token_file, 'w') as f:
            f.write('kag-bench-token\n')
        lines = subprocess.run([bench, '--dump', '--events=%d' % events], check=True,
                               stdout=subprocess.PIPE).stdout.decode().splitlines()
        bodies = [eventlist(lines[i:i + batch]) for i in range(0, len(lines), batch)]
        path = os.path.join(tmp, 'batches.jsonl')
        with open(path, 'wb') as f:
            for b in bodies:
                f.write(b + b'\n')
        size = os.path.getsize(path)
        print('stream: %d events in %d EventList batches of %d, %.1f MB; %d posters over '
              'TLS; best of %d runs' % (len(lines), len(bodies), batch, size / 1e6, posters,
                                        repeat))
        best = {'webhook': None, 'triage1': None, 'triage': None}
        cpu = dict(best)
        info = {}

        def keep(key, wall, c):
            best[key] = wall if best[key] is None else min(best[key], wall)
            cpu[key] = c if cpu[key] is None else min(cpu[key], c)

        for run in range(repeat):  # interleaved, so that a busy spell hits all
            w, c, retries, v = run_webhook(webhook, tmp, files, token_file, bodies, posters, run)
            info['webhook'] = (retries, v)
            keep('webhook', w, c)
            for key, jobs in (('triage1', 1), ('triage', 0)):
                t, c, tv = run_triage(triage, path, os.path.join(tmp, 'triage.out'), jobs)
                info[key] = tv
                keep(key, t, c)
        n = len(lines)
        rate = {k: n / v for k, v in best.items()}
        per_cpu = {k: n / v for k, v in cpu.items()}
        print('kag-webhook:          %9.0f events/s  %9.0f per CPU-second  (%.2f s; %d verdicts; '
              '%d posts answered 429 and retried in the last run)'
              % (rate['webhook'], per_cpu['webhook'], best['webhook'], info['webhook'][1],
                 info['webhook'][0]))
        print('kag-triage --jobs=1:  %9.0f events/s  %9.0f per CPU-second  (%.2f s; %d verdicts)'
              % (rate['triage1'], per_cpu['triage1'], best['triage1'], info['triage1']))
        print('kag-triage:           %9.0f events/s  %9.0f per CPU-second  (%.2f s; %d verdicts; '
              '--jobs default: %d cores)' % (rate['triage'], per_cpu['triage'], best['triage'],
                                             info['triage'], os.cpu_count()))
        print('ratio kag-webhook / kag-triage --jobs=1: %.2f wall, %.2f CPU'
              % (rate['webhook'] / rate['triage1'], per_cpu['webhook'] / per_cpu['triage1']))
        print('ratio kag-webhook / kag-triage:          %.2f wall, %.2f CPU'
              % (rate['webhook'] / rate['triage'], per_cpu['webhook'] / per_cpu['triage']))
        print('(wall: posters included, on the same cores; CPU: the program alone, TLS and '
              'HTTP included; verdict counts differ where posts arrive in another order)')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

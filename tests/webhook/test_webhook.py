#!/usr/bin/env python3
"""kag-webhook against a client that posts as the kube-apiserver's audit
webhook backend does (tests/webhook/webhooktest.py), over real TLS with
certificates made here by openssl (tests/webhook/certs.py), and curl.

Every record of tests/collector/auditgen.py has its own auditID and its own
user, so that its verdicts depend on it alone: no stage de-duplication, no
repeat suppression (the repeat key holds the user) and no burst joins two
records, in whatever order the posts reach the judging thread. With --all
each record has at least one verdict; the verdicts of every auditID are
compared with kag-triage's over the same records.

Cases:
  usage       exit status 2 on usage errors (no TLS without --insecure-http,
              --client-ca without TLS, a bad number), 0 for --help and
              --version;
  tls         mTLS and a bearer token: EventList, NDJSON and JSON-array
              posts and a curl post answered 200 and judged; a missing and a
              wrong client certificate (403), a missing and a wrong token
              (401 with WWW-Authenticate), a body over --max-body by
              Content-Length and chunked (413), malformed JSON (400), a wrong
              content type (415), a GET (405), an unknown path (404): each
              refusal one error record, no body byte quoted; a 429 made
              deterministic by the byte cap; /healthz without credentials;
              /metrics refused without the token, and with it parsed by
              prometheus_client: every answer the test received counted
              under its code; SIGHUP reopens the output;
  drain       SIGTERM while a post is being received, over plain HTTP on
              loopback (--insecure-http): no new connection, /healthz 503 on
              an open one, the post answered 503 with Retry-After, exit 0;
  concurrent  8 threads posting 1,200 events in batches through a queue of
              one batch: the 429s they received equal the metric, and every
              event is judged once; SIGINT saves the --learn baseline;
  sigterm     SIGTERM while 8 threads post: kag-webhook exits 0; every batch
              answered 200 before it is in its output; the rest are retried
              against a new kag-webhook on the same port and then appear;
              no event is missing or judged twice;
  sigkill     SIGKILL while 8 threads post: every batch answered 200 before
              it is in the output (answers follow the write), and after the
              retries against a new instance no event is missing (a batch
              written but not answered is judged again: at least once).
"""
import collections
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'collector'))

import auditgen  # noqa: E402
import certs  # noqa: E402
from webhooktest import Client, Server, eventlist, tls_context  # noqa: E402

WEBHOOK = os.environ.get('KAG_WEBHOOK', '')
TRIAGE = os.environ.get('KAG_TRIAGE', '')

# record kinds whose verdicts depend on the record alone (the controller
# kind shares one user between records)
KINDS = ('exec', 'secret', 'impersonate', 'denied')

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print('FAIL: ' + what, flush=True)


def rec(i):
    return auditgen.record(i, kind=KINDS[i % len(KINDS)])


def triage_verdicts(tmp, ids):
    """kag-triage --all over the records ids: {auditID: sorted verdict keys}."""
    path = os.path.join(tmp, 'triage-input.jsonl')
    with open(path, 'w') as f:
        for i in ids:
            f.write(rec(i) + '\n')
    out = subprocess.run([TRIAGE, '--all', path], check=True, stdout=subprocess.PIPE).stdout
    return by_audit_id(json.loads(line) for line in out.decode().splitlines() if line)


def verdict_key(v):
    """A verdict without event.source and event.format: a post names its
    records http:/audit#N:LINE, and the shape it came in (an EventList, an
    array, NDJSON) is not kag-triage's file's."""
    v = json.loads(json.dumps(v))
    v.get('event', {}).pop('format', None)
    return auditgen.verdict_key(v)


def by_audit_id(records):
    got = collections.defaultdict(list)
    for r in records:
        if 'detector' in r:
            got[r['event']['auditID']].append(verdict_key(r))
    return {k: sorted(v) for k, v in got.items()}


def compare_verdicts(tmp, ids, records, what):
    want = triage_verdicts(tmp, ids)
    check(len(want) == len(ids), '%s: kag-triage judged every record (%d of %d)'
          % (what, len(want), len(ids)))
    got = by_audit_id(records)
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    differ = [k for k in want if k in got and got[k] != want[k]]
    check(not missing, '%s: %d auditIDs without their verdicts (e.g. %s)'
          % (what, len(missing), missing[:3]))
    check(not extra, '%s: %d unexpected auditIDs (e.g. %s)' % (what, len(extra), extra[:3]))
    check(not differ, '%s: %d auditIDs with other verdicts than kag-triage\'s, or judged '
          'more than once (e.g. %s)' % (what, len(differ), differ[:3]))


def metric_values(client):
    """/metrics parsed by prometheus_client: {(name, labels): value}."""
    from prometheus_client.parser import text_string_to_metric_families
    status, hdrs, body = client.request(method='GET', path='/metrics', ctype=None)
    check(status == 200, '/metrics answered %d' % status)
    check(hdrs.get('content-type', '').startswith('text/plain; version=0.0.4'),
          '/metrics content type %r' % hdrs.get('content-type'))
    values = {}
    for fam in text_string_to_metric_families(body.decode()):
        for s in fam.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values


def case_usage(tmp, files):
    def run(*args):
        return subprocess.run([WEBHOOK] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=30)

    r = run('--version')
    check(r.returncode == 0 and r.stdout.startswith(b'kag-webhook '), '--version')
    r = run('--help')
    check(r.returncode == 0 and b'--tls-cert' in r.stdout and b'--policy' in r.stdout, '--help')
    for args in (['--listen=127.0.0.1:0'],
                 ['--client-ca=' + files['ca'], '--insecure-http'],
                 ['--insecure-http', '--max-body=0'],
                 ['--insecure-http', '--max-body=1000', '--queue-bytes=999'],
                 ['--tls-cert=' + files['server'][0]],
                 ['--insecure-http', '--listen=localhost'],
                 ['--insecure-http', '--listen=0.0.0.0:0'],
                 ['--insecure-http', '--no-such-option']):
        r = run(*args)
        check(r.returncode == 2, 'usage error %s: exit %d, want 2' % (args, r.returncode))
    r = run('--tls-cert=' + os.path.join(tmp, 'absent.crt'),
            '--tls-key=' + files['server'][1], '--listen=127.0.0.1:0')
    check(r.returncode == 1, 'missing certificate file: exit %d, want 1' % r.returncode)
    r = run('--insecure-http', '--listen=127.0.0.1:0',
            '--output=' + os.path.join(tmp, 'no-such-dir', 'out.jsonl'))
    check(r.returncode == 1, 'output not writable: exit %d, want 1' % r.returncode)


def case_tls(tmp, files, token):
    token_file = os.path.join(tmp, 'token')
    with open(token_file, 'w') as f:
        f.write(token + '\n')
    srv = Server(WEBHOOK, tmp, 'tls', [
        '--tls-cert=' + files['server'][0], '--tls-key=' + files['server'][1],
        '--client-ca=' + files['ca'], '--token-file=' + token_file, '--path=/audit',
        '--path=/fluent-bit', '--max-body=65536', '--queue-bytes=98304', '--all',
        '--error-limit=0'])
    ctx = tls_context(files['ca'], files['client'])
    seen = collections.Counter()   # every answer received, by code
    expect_errors = []             # (source number, codes allowed)
    post_no = [0]                  # posts made (sources are numbered by post)

    def post(client, *a, **kw):
        post_no[0] += 1
        status, hdrs, body = client.request(*a, **kw)
        seen[status] += 1
        return status, hdrs, body

    good = Client(srv.port, ctx, token)
    ids = []

    # an apiserver batch, an NDJSON post (Fluent Bit json_lines, Vector
    # newline_delimited) and a JSON array (Fluent Bit json, Vector json)
    st, _, _ = post(good, eventlist([rec(i) for i in range(0, 10)]))
    check(st == 200, 'EventList answered %d' % st)
    st, _, _ = post(good, ('\n'.join(rec(i) for i in range(10, 20)) + '\n').encode(),
                    ctype='application/x-ndjson', path='/fluent-bit')
    check(st == 200, 'NDJSON on a second --path answered %d' % st)
    st, _, _ = post(good, ('[' + ','.join(rec(i) for i in range(20, 30)) + ']').encode(),
                    ctype='application/json; charset=utf-8')
    check(st == 200, 'JSON array answered %d' % st)
    ids += range(0, 30)

    # curl, as an operator would
    body = os.path.join(tmp, 'curl-body.json')
    with open(body, 'wb') as f:
        f.write(eventlist([rec(i) for i in range(30, 40)]))
    r = subprocess.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}',
                        '--cacert', files['ca'], '--cert', files['client'][0],
                        '--key', files['client'][1], '-H', 'Authorization: Bearer ' + token,
                        '-H', 'Content-Type: application/json', '--data-binary', '@' + body,
                        'https://127.0.0.1:%d/audit' % srv.port],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    post_no[0] += 1
    check(r.stdout == b'200', 'curl: %r %r' % (r.stdout, r.stderr))
    seen[int(r.stdout or 0)] += 1
    ids += range(30, 40)

    marker = b'"MARKER-not-to-be-quoted"'
    small = eventlist([rec(1000)]) + b' ' + marker  # never judged: refused first

    # mTLS: no client certificate, one from another CA
    for name, c in (('no client certificate', Client(srv.port, tls_context(files['ca']), token)),
                    ('a stranger\'s certificate',
                     Client(srv.port, tls_context(files['ca'], files['stranger']), token))):
        st, _, _ = post(c, small)
        check(st == 403, '%s: answered %d, want 403' % (name, st))
        expect_errors.append((post_no[0], ('KAG_EINVAL',)))
        c.close()
    # bearer token: missing, wrong
    for name, tok in (('no token', None), ('a wrong token', token + 'x')):
        c = Client(srv.port, ctx, tok)
        st, hdrs, _ = post(c, small)
        check(st == 401 and hdrs.get('www-authenticate', '').startswith('Bearer'),
              '%s: answered %d %r, want 401 with WWW-Authenticate' % (name, st, hdrs))
        expect_errors.append((post_no[0], ('KAG_EINVAL',)))
        c.close()
    # over --max-body: by Content-Length, and chunked (found while reading)
    big = eventlist([rec(2000)] * 80) + b' ' * 40000 + marker
    assert 65536 < len(big) < 131072
    for chunked in (False, True):
        st, _, _ = post(Client(srv.port, ctx, token), big, chunked=chunked)
        check(st == 413, 'body over --max-body (chunked %s): answered %d' % (chunked, st))
        expect_errors.append((post_no[0], ('KAG_ELIMIT',)))
    # malformed JSON: 400 (never judged, so not to be retried)
    for bad in (b'{"kind":"EventList","items":[{"auditID":' + marker,
                b'not json at all ' + marker):
        st, _, _ = post(good, bad)
        check(st == 400, 'malformed JSON answered %d, want 400' % st)
        expect_errors.append((post_no[0], ('KAG_EPARSE', 'KAG_ETRUNCATED')))
    # content type, method, path
    st, _, _ = post(good, small, ctype='text/plain')
    check(st == 415, 'text/plain answered %d, want 415' % st)
    expect_errors.append((post_no[0], ('KAG_ESCHEMA',)))
    st, hdrs, _ = post(good, method='GET', ctype=None)
    check(st == 405 and hdrs.get('allow') == 'POST', 'GET /audit: %d %r' % (st, hdrs))
    expect_errors.append((post_no[0], ('KAG_EINVAL',)))
    st, _, _ = post(good, small, path='/other')
    check(st == 404, 'POST /other answered %d, want 404' % st)
    expect_errors.append((post_no[0], ('KAG_ENOTFOUND',)))

    # 429, made deterministic by the byte cap (96 KiB): a post whose body
    # is on its way holds 60,000 bytes; another of 50,000 does not fit.
    held = eventlist([rec(i) for i in range(40, 45)])
    held += b' ' * (60000 - len(held))
    slow = http.client.HTTPSConnection('127.0.0.1', srv.port, context=ctx, timeout=60)
    slow.putrequest('POST', '/audit')
    slow.putheader('Content-Type', 'application/json')
    slow.putheader('Authorization', 'Bearer ' + token)
    slow.putheader('Content-Length', str(len(held)))
    slow.endheaders()
    slow.send(held[:1000])
    post_no[0] += 1
    time.sleep(0.3)
    other = eventlist([rec(i) for i in range(45, 50)])
    other += b' ' * (50000 - len(other))
    st, hdrs, _ = post(Client(srv.port, ctx, token), other)
    check(st == 429 and hdrs.get('retry-after') == '1',
          'byte cap reached: answered %d %r, want 429 with Retry-After' % (st, hdrs))
    slow.send(held[1000:])
    resp = slow.getresponse()
    resp.read()
    seen[resp.status] += 1
    check(resp.status == 200, 'held post answered %d' % resp.status)
    slow.close()
    ids += range(40, 45)

    # /healthz needs no credentials; /metrics needs the token
    anon = Client(srv.port, tls_context(files['ca']))
    st, _, body = anon.request(method='GET', path='/healthz', ctype=None)
    seen[st] += 1
    check(st == 200 and body == b'ok\n', '/healthz: %d %r' % (st, body))
    st, _, _ = Client(srv.port, ctx).request(method='GET', path='/metrics', ctype=None)
    seen[st] += 1
    check(st == 401, '/metrics without the token: %d, want 401' % st)

    # SIGHUP: the output file is reopened (logrotate renames it first)
    rotated = srv.out + '.1'
    time.sleep(0.3)  # the error records of the refusals are written
    os.rename(srv.out, rotated)
    srv.kill(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while not os.path.exists(srv.out) and time.monotonic() < deadline:
        time.sleep(0.02)
    check(os.path.exists(srv.out), 'SIGHUP: output not reopened')
    st, _, _ = post(good, eventlist([rec(i) for i in range(50, 55)]))
    check(st == 200, 'post after SIGHUP answered %d' % st)
    ids += range(50, 55)

    m = metric_values(Client(srv.port, ctx, token))
    for code, n in sorted(seen.items()):
        got = m.get(('kag_http_responses_total', (('code', str(code)),)))
        check(got == n, 'kag_http_responses_total{code="%d"} = %r, the test received %d'
              % (code, got, n))
    check(m.get(('kag_webhook_queue_full_total', (('cap', 'bytes'),))) == 1,
          'kag_webhook_queue_full_total{cap="bytes"} = %r, want 1'
          % m.get(('kag_webhook_queue_full_total', (('cap', 'bytes'),))))
    check(m.get(('kag_webhook_queue_capacity_bytes', ())) == 98304, 'queue byte capacity')
    check(m.get(('kag_webhook_queue_capacity_batches', ())) == 64, 'queue batch capacity')
    check(m.get(('kag_webhook_queue_batches', ())) == 0, 'queue depth at rest')
    check(m.get(('kag_http_posts_total', ())) == post_no[0],
          'kag_http_posts_total = %r, the test posted %d'
          % (m.get(('kag_http_posts_total', ())), post_no[0]))

    # the collector's series: every refusal and every event counted
    rejected = collections.Counter()
    for (name, labels), v in m.items():
        if name == 'kag_records_rejected_total' and v:
            rejected[dict(labels)['code']] += int(v)
    want_rejected = collections.Counter()
    for n, codes in expect_errors:
        want_rejected[codes[0] if len(codes) == 1 else 'parser'] += 1
    parser = rejected.pop('KAG_EPARSE', 0) + rejected.pop('KAG_ETRUNCATED', 0)
    if parser:
        rejected['parser'] = parser
    check(rejected == want_rejected, 'kag_records_rejected_total %s, want %s'
          % (dict(rejected), dict(want_rejected)))
    judged = sum(v for (name, _), v in m.items() if name == 'kag_records_judged_total')
    check(judged == len(ids), 'kag_records_judged_total %r, want %d' % (judged, len(ids)))
    verdicts = sum(v for (name, _), v in m.items() if name == 'kag_verdicts_total')

    rc = srv.stop()
    check(rc == 0, 'SIGTERM: exit %d, want 0; stderr: %s' % (rc, srv.stderr()))
    before, after = srv.records(rotated), srv.records()
    check(verdicts == sum(1 for r in before + after if 'detector' in r),
          'kag_verdicts_total %r, the output has %d' % (verdicts, sum(1 for r in before + after
                                                                  if 'detector' in r)))
    check(all('error' not in r for r in after) and by_audit_id(after).keys() ==
          {auditgen.audit_id(i) for i in range(50, 55)},
          'after SIGHUP the new file holds the last post\'s verdicts only')
    records = before + after
    compare_verdicts(tmp, ids, records, 'tls')
    errors = [r['error'] for r in records if 'error' in r]
    check(len(errors) == len(expect_errors), '%d error records, want %d: %s'
          % (len(errors), len(expect_errors), errors))
    by_source = {e.get('source'): e for e in errors}
    for n, codes in expect_errors:
        # an unknown path is not named in the source; the parser's records
        # add the line
        src = ('http:#%d' if codes == ('KAG_ENOTFOUND',) else 'http:/audit#%d') % n
        e = by_source.get(src, by_source.get(src + ':1'))
        check(e is not None and e['code'] in codes,
              'post %d: error record %r, want one of %s' % (n, e, codes))
    with open(rotated, 'rb') as f:
        check(b'MARKER' not in f.read(), 'a refused body was quoted in the output')


def case_drain(tmp):
    """SIGTERM while a post is being received (plain HTTP on loopback): new
    connections are no longer taken, /healthz answers 503 on a connection
    already open, the post that completes meanwhile is answered 503 with
    Retry-After, and kag-webhook then exits 0."""
    srv = Server(WEBHOOK, tmp, 'drain', ['--insecure-http', '--all'])
    keep = Client(srv.port)
    st, _, body = keep.request(method='GET', path='/healthz', ctype=None)
    check(st == 200 and body == b'ok\n', 'drain: /healthz before: %d %r' % (st, body))
    st, _, _ = keep.request(eventlist([rec(i) for i in range(60000, 60005)]))
    check(st == 200, 'drain: plain HTTP post answered %d' % st)
    held = eventlist([rec(i) for i in range(60005, 60010)])
    slow = http.client.HTTPConnection('127.0.0.1', srv.port, timeout=60)
    slow.putrequest('POST', '/audit')
    slow.putheader('Content-Type', 'application/json')
    slow.putheader('Content-Length', str(len(held)))
    slow.endheaders()
    slow.send(held[:100])
    time.sleep(0.3)
    srv.kill(signal.SIGTERM)
    time.sleep(0.5)
    check(srv.proc.poll() is None, 'drain: exited with a post still being received')
    st, hdrs, body = keep.request(method='GET', path='/healthz', ctype=None)
    check(st == 503 and hdrs.get('connection') == 'close',
          'drain: /healthz while stopping: %d %r' % (st, hdrs))
    try:
        c = http.client.HTTPConnection('127.0.0.1', srv.port, timeout=1)
        c.request('GET', '/healthz')
        st = c.getresponse().status
        check(False, 'drain: a new connection was answered %d while stopping' % st)
    except OSError:
        pass
    slow.send(held[100:])
    r = slow.getresponse()
    r.read()
    check(r.status == 503 and r.getheader('Retry-After') == '1',
          'drain: post completed while stopping: %d, want 503 with Retry-After' % r.status)
    try:
        rc = srv.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        rc = None
        srv.proc.kill()
    check(rc == 0, 'drain: exit %r, want 0' % rc)
    compare_verdicts(tmp, range(60000, 60005), srv.records(), 'drain')


def post_all(port, ctx, token, batches, threads):
    """Post batches [(ids, body)] from `threads` threads, each with its own
    connection: returns the clients (their attempts) and the time each
    batch was answered 200."""
    answered = {}
    lock = threading.Lock()
    clients = [Client(port, ctx, token) for _ in range(threads)]
    errors = []

    def run(k):
        try:
            for b in range(k, len(batches), threads):
                clients[k].send_batch(batches[b][1])
                with lock:
                    answered[b] = time.monotonic()
        except Exception as e:  # reported by the caller
            errors.append(repr(e))

    ts = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    return ts, clients, answered, errors


def make_batches(first, n_batches, per_batch):
    out = []
    for b in range(n_batches):
        ids = list(range(first + b * per_batch, first + (b + 1) * per_batch))
        out.append((ids, eventlist([rec(i) for i in ids])))
    return out


def case_concurrent(tmp, files, token):
    token_file = os.path.join(tmp, 'token')
    baseline = os.path.join(tmp, 'concurrent.baseline')
    srv = Server(WEBHOOK, tmp, 'concurrent', [
        '--tls-cert=' + files['server'][0], '--tls-key=' + files['server'][1],
        '--token-file=' + token_file, '--queue=1', '--threads=4', '--all',
        '--baseline=' + baseline, '--learn'])
    ctx = tls_context(files['ca'])
    batches = make_batches(10000, 48, 25)
    ts, clients, answered, errors = post_all(srv.port, ctx, token, batches, 8)
    for t in ts:
        t.join()
    check(not errors, 'concurrent posters failed: %s' % errors[:3])
    check(len(answered) == len(batches), '%d of %d batches answered 200'
          % (len(answered), len(batches)))
    sent_429 = sum(a.count(429) for c in clients for a in [c.attempts])
    others = [a for c in clients for a in c.attempts if a not in (200, 429)]
    check(not others, 'answers other than 200 and 429: %s' % others[:5])
    m = metric_values(Client(srv.port, ctx, token))
    check(m.get(('kag_http_responses_total', (('code', '429'),))) == sent_429,
          '429s counted %r, the posters received %d'
          % (m.get(('kag_http_responses_total', (('code', '429'),))), sent_429))
    check(m.get(('kag_webhook_queue_full_total', (('cap', 'batches'),))) == sent_429,
          'kag_webhook_queue_full_total{cap="batches"} = %r, want %d'
          % (m.get(('kag_webhook_queue_full_total', (('cap', 'batches'),))), sent_429))
    check(m.get(('kag_http_responses_total', (('code', '200'),))) == len(batches),
          '200s counted %r, want %d'
          % (m.get(('kag_http_responses_total', (('code', '200'),))), len(batches)))
    print('concurrent: %d batches, %d answered 429 first' % (len(batches), sent_429))
    rc = srv.stop(signal.SIGINT)
    check(rc == 0, 'concurrent: SIGINT: exit %d' % rc)
    check(os.path.exists(baseline), 'concurrent: --learn: no baseline saved at exit')
    compare_verdicts(tmp, [i for ids, _ in batches for i in ids], srv.records(), 'concurrent')


def interrupt_mid_load(tmp, files, token, name, first_id, n_batches, sig):
    """8 threads post n_batches batches of 40 events; once 16 are answered,
    kag-webhook gets sig, and a new one starts on the same port for the
    posters' retries. Returns (exit status, the batches, those answered by
    the first instance, the clients, its records, the second's)."""
    token_file = os.path.join(tmp, 'token')
    args = ['--tls-cert=' + files['server'][0], '--tls-key=' + files['server'][1],
            '--token-file=' + token_file, '--queue=4', '--all']
    first = Server(WEBHOOK, tmp, name + '-1', args)
    batches = make_batches(first_id, n_batches, 40)
    ts, clients, answered, errors = post_all(first.port, tls_context(files['ca']), token,
                                             batches, 8)
    while len(answered) < 16 and not errors:
        time.sleep(0.005)
    before = time.monotonic()
    rc = first.stop(sig)
    # answered by the first instance: before a kill, or before a clean exit
    acked = {b for b, t in answered.items()
             if t <= (before if sig == signal.SIGKILL else time.monotonic())}
    second = Server(WEBHOOK, tmp, name + '-2', args, port=first.port)
    for t in ts:
        t.join()
    check(not errors, '%s: posters failed: %s' % (name, errors[:3]))
    check(len(answered) == len(batches), '%s: %d of %d batches answered 200'
          % (name, len(answered), len(batches)))
    rc2 = second.stop()
    check(rc2 == 0, '%s: second instance: exit %d' % (name, rc2))
    out1 = first.records(killed=sig == signal.SIGKILL)
    in_first = by_audit_id(out1)
    lost = [b for b in acked if not all(auditgen.audit_id(i) in in_first for i in batches[b][0])]
    check(not lost, '%s: %d batches answered 200 before the signal are not in the output'
          % (name, len(lost)))
    return rc, batches, acked, clients, out1, second.records()


def case_sigterm(tmp, files, token):
    rc, batches, acked, clients, out1, out2 = interrupt_mid_load(
        tmp, files, token, 'sigterm', 20000, 96, signal.SIGTERM)
    check(rc == 0, 'SIGTERM mid-load: exit %d, want 0' % rc)
    retried = sum(1 for c in clients for a in c.attempts if a != 200)
    check(retried > 0, 'no post was refused or cut off: SIGTERM came too late to test')
    print('sigterm: %d batches answered by the first instance, %d attempts refused or cut '
          'off and retried' % (len(acked), retried))
    compare_verdicts(tmp, [i for ids, _ in batches for i in ids], out1 + out2, 'sigterm')


def case_sigkill(tmp, files, token):
    rc, batches, acked, clients, out1, out2 = interrupt_mid_load(
        tmp, files, token, 'sigkill', 40000, 64, signal.SIGKILL)
    # at least once: a batch written but not answered is judged again
    out = by_audit_id(out1 + out2)
    missing = [i for ids, _ in batches for i in ids if auditgen.audit_id(i) not in out]
    check(not missing, 'SIGKILL: %d events never judged' % len(missing))
    print('sigkill: %d batches answered before SIGKILL, all in its output' % len(acked))


def main():
    if not WEBHOOK or not os.path.exists(WEBHOOK):
        print('kag-webhook is not built: skipped')
        return 77
    for tool in ('openssl', 'curl'):
        if subprocess.run(['sh', '-c', 'command -v ' + tool], stdout=subprocess.DEVNULL).returncode:
            print('%s is not installed: skipped' % tool)
            return 77
    try:
        import prometheus_client.parser  # noqa: F401
    except ImportError:
        print('python3-prometheus-client is not installed: skipped')
        return 77
    with tempfile.TemporaryDirectory(prefix='kag-webhook-') as tmp:
        files = certs.make(tmp)
        token = 'kag-test-token-0123456789abcdef'
        with open(os.path.join(tmp, 'token'), 'w') as f:
            f.write(token + '\n')
        for name, case in (('usage', lambda: case_usage(tmp, files)),
                           ('tls', lambda: case_tls(tmp, files, token)),
                           ('drain', lambda: case_drain(tmp)),
                           ('concurrent', lambda: case_concurrent(tmp, files, token)),
                           ('sigterm', lambda: case_sigterm(tmp, files, token)),
                           ('sigkill', lambda: case_sigkill(tmp, files, token))):
            if len(sys.argv) > 1 and name not in sys.argv[1:]:
                continue
            t = time.monotonic()
            n = len(failures)
            case()
            print('%s: %s (%.1f s)' % (name, 'ok' if len(failures) == n else 'FAILED',
                                       time.monotonic() - t), flush=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

"""kag-filter behind a real rsyslogd: imfile tails an audit log, omprog pipes
each line through `kag-filter --confirm` (confirmMessages="on").

rsyslogd runs in the foreground with its own configuration, work directory,
pid file and logs in a temporary directory: no system path is read or
written, no service is involved. The test

  1. appends records and waits for their verdicts;
  2. stops the filter (SIGSTOP), appends one record and waits until rsyslog
     has written it into the filter's stdin (unread, so unconfirmed),
     appends more, then kills the filter (SIGKILL): rsyslog starts a new one
     and sends the unconfirmed record again;
  3. appends a RequestReceived-only record (held by the session) and one
     more, then stops rsyslogd (SIGTERM): the filter sees end of input and
     flushes the held record's verdict;

and checks that every record was judged exactly once across the restart:
the verdicts written equal kag-triage's on the whole log, the in-flight
record's verdicts come from the second filter only, each bad line has one
error record, and the filter wrote nothing to stderr.

Every wait is bounded. Exit status: 0 pass, 1 fail, 77 skip (meson's code)
when rsyslogd or its imfile/omprog modules are not installed.
Needs KAG_FILTER and KAG_TRIAGE from tests/collector/meson.build;
KAG_RSYSLOGD, when set, names the rsyslogd to run.
"""
import fcntl
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import auditgen  # noqa: E402

FILTER = os.environ.get('KAG_FILTER', '')
TRIAGE = os.environ.get('KAG_TRIAGE', '')
SKIP = 77
BROKEN_1 = "a line of 25 bytes"
BROKEN_2 = "a line of 24 bytes"
WAIT = 60.0          # longest wait for one step
WHOLE_TEST = 240     # the test stops itself after this many seconds

CONFIG = '''\
global(workDirectory="{tmp}/work" maxMessageSize="64k"
       processInternalMessages="on")
module(load="imfile")
module(load="omprog")
template(name="kag_line" type="string" string="%msg%\\n")
input(type="imfile" file="{tmp}/audit.log" tag="kube-audit" ruleset="kag"
      discardTruncatedMsg="on")
ruleset(name="kag") {{
    action(type="omprog" name="kag" template="kag_line"
           binary="{filter} --confirm --all --output={tmp}/verdicts.jsonl"
           confirmMessages="on" confirmTimeout="{confirm_ms}"
           killUnresponsive="on" closeTimeout="20000"
           action.resumeInterval="1" action.resumeRetryCount="-1"
           output="{tmp}/filter.stderr")
}}
*.* action(type="omfile" file="{tmp}/rsyslogd.log")
'''


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def wait_for(what, cond, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Failure('timed out after %ds waiting for %s' % (timeout, what))
        time.sleep(0.05)


def find_rsyslogd():
    path = shutil.which('rsyslogd')
    if not path:
        for d in ('/usr/sbin', '/sbin', '/usr/local/sbin'):
            if os.access(os.path.join(d, 'rsyslogd'), os.X_OK):
                return os.path.join(d, 'rsyslogd')
    return path


def children(pid):
    """Live (not zombie) children of pid whose program is kag-filter."""
    out = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                stat = f.read()
            with open('/proc/%s/cmdline' % d, 'rb') as f:
                argv0 = f.read().split(b'\0')[0]
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        if int(fields[1]) == pid and fields[0] != 'Z' and \
                os.path.basename(argv0) == b'kag-filter':
            out.append(int(d))
    return out


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(')') + 2:].split()[0] != 'Z'


def is_filter(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return os.path.basename(f.read().split(b'\0')[0]) == b'kag-filter'
    except OSError:
        return False


def pipe_bytes(pid):
    """Bytes waiting unread in pid's stdin pipe."""
    fd = os.open('/proc/%d/fd/0' % pid, os.O_RDONLY | os.O_NONBLOCK)
    try:
        buf = fcntl.ioctl(fd, termios.FIONREAD, b'\0\0\0\0')
    finally:
        os.close(fd)
    return struct.unpack('i', buf)[0]


def idle(pid):
    """pid sleeps in select/poll with nothing unread on stdin: it has
    confirmed every message rsyslog sent it (rsyslog sends the next message
    only after the confirmation of the previous one)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
        with open('/proc/%d/wchan' % pid) as f:
            wchan = f.read()
    except OSError:
        return False
    waiting = stat[stat.rindex(')') + 2:].split()[0] == 'S' and (
        wchan in ('', '0') or 'poll' in wchan or 'select' in wchan)
    return waiting and pipe_bytes(pid) == 0


def settled(pid):
    """idle(pid), twice 100 ms apart."""
    if not idle(pid):
        return False
    time.sleep(0.1)
    return idle(pid)


class Harness:
    def __init__(self, rsyslogd, tmp):
        self.rsyslogd = rsyslogd
        self.tmp = tmp
        self.log = os.path.join(tmp, 'audit.log')
        self.out = os.path.join(tmp, 'verdicts.jsonl')
        self.conf = os.path.join(tmp, 'rsyslog.conf')
        self.proc = None
        self.lines = []
        self.filters = set()   # kag-filter pids seen, to end at cleanup

    def write_config(self):
        os.mkdir(os.path.join(self.tmp, 'work'))
        open(self.log, 'w').close()
        check(' ' not in self.tmp + FILTER and '"' not in self.tmp + FILTER,
              'paths with spaces or quotes cannot go into omprog binary=')
        with open(self.conf, 'w') as f:
            f.write(CONFIG.format(tmp=self.tmp, filter=FILTER, confirm_ms=int(WAIT * 1000)))

    def config_check(self):
        """None when the configuration loads; else rsyslogd's complaint."""
        r = subprocess.run([self.rsyslogd, '-N1', '-f', self.conf,
                            '-i', os.path.join(self.tmp, 'check.pid')],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=WAIT)
        return None if r.returncode == 0 else r.stdout.decode('utf-8', 'replace')

    def start(self):
        self.stderr = open(os.path.join(self.tmp, 'rsyslogd.stderr'), 'wb')
        self.proc = subprocess.Popen([self.rsyslogd, '-n', '-f', self.conf,
                                      '-i', os.path.join(self.tmp, 'rsyslogd.pid')],
                                     stdin=subprocess.DEVNULL, stdout=self.stderr,
                                     stderr=self.stderr, cwd=self.tmp)

    def append(self, *lines):
        with open(self.log, 'a') as f:
            for line in lines:
                f.write(line + '\n')
        self.lines.extend(lines)

    def records(self):
        try:
            with open(self.out, 'rb') as f:
                data = f.read()
        except FileNotFoundError:
            return []
        # only whole lines: the filter may be writing
        return [json.loads(x) for x in data.decode('utf-8').split('\n')[:-1]]

    def have(self, ids, errors=()):
        """Records when every auditID in ids has a verdict and every item of
        errors (a code, or text of the message) an error record, else None."""
        recs = self.records()
        seen = {r['event']['auditID'] for r in recs if 'event' in r}
        errs = [r['error'] for r in recs if 'error' in r]
        if set(ids) <= seen and all(any(e in x['message'] or e == x['code'] for x in errs)
                                    for e in errors):
            return recs
        return None

    def filter_pid(self, other_than=None):
        def one():
            pids = [p for p in children(self.proc.pid) if p != other_than]
            self.filters.update(pids)
            check(self.proc.poll() is None, 'rsyslogd exited (status %s)' % self.proc.returncode)
            return pids[0] if len(pids) == 1 else None
        return wait_for('a kag-filter started by rsyslogd', one)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            # filters left behind by an rsyslogd that died first
            for pid in self.filters:
                if alive(pid) and is_filter(pid):
                    os.kill(pid, signal.SIGKILL)
            self.stderr.close()

    def dump(self):
        for name in ('rsyslogd.stderr', 'rsyslogd.log', 'filter.stderr', 'verdicts.jsonl'):
            path = os.path.join(self.tmp, name)
            if os.path.exists(path):
                with open(path, 'rb') as f:
                    data = f.read()
                print('---- %s (%d bytes, last 4000 shown)' % (name, len(data)))
                print(data[-4000:].decode('utf-8', 'replace'))


def triage_expectation(log):
    r = subprocess.run([TRIAGE, '--all', log], stdout=subprocess.PIPE, timeout=WAIT)
    # 1: the log holds rejected records on purpose (kag-triage's status 1)
    check(r.returncode in (0, 1) and
          (r.returncode == 1) == any(l.startswith(b'{"error') for l in r.stdout.splitlines()),
          'kag-triage failed on the log (exit %d)' % r.returncode)
    return [json.loads(x) for x in r.stdout.decode('utf-8').splitlines()]


def scenario(h):
    ids = auditgen.audit_id
    # 1. Records judged one message at a time by one filter. Record 5 is a
    # known user's second client: a verdict that needs the session to span
    # messages.
    phase1 = [auditgen.record(i) for i in range(5)]
    phase1.append(auditgen.record(5, kind='exec', user='dev-1@example.com', agent='curl/8.0'))
    h.append(*phase1)
    # (error records quote no input: the two broken messages are told
    # apart by their lengths, 25 and 24 bytes)
    h.append('BROKEN-1 this is not JSON')
    # Bigger than maxMessageSize (64k): rsyslog cuts it, the filter
    # reports the cut record as an error of its own message.
    h.append(auditgen.record(6, kind='exec', agent='kubectl/' + 'x' * 100000))
    recs = wait_for('the first verdicts', lambda: h.have([ids(i) for i in range(6)],
                                                         [BROKEN_1]))
    check(any(r.get('detector') == 'new_user_agent' and r['event']['auditID'] == ids(5)
              for r in recs), 'no new_user_agent verdict: the session did not span messages')
    recs = wait_for('the cut record\'s error', lambda: h.have([], ['KAG_ETRUNCATED']))
    pid1 = h.filter_pid()

    # 2. Kill the filter with a message in flight: once every message so far
    # is confirmed, stop it, let rsyslog send one more, and kill it.
    wait_for('the filter to confirm and wait for input', lambda: settled(pid1))
    os.kill(pid1, signal.SIGSTOP)
    inflight = auditgen.record(10, kind='secret')
    h.append(inflight)
    wait_for('rsyslog to send the in-flight record',
             lambda: pipe_bytes(pid1) == len(inflight) + 1)
    h.append(*[auditgen.record(i) for i in range(11, 15)])
    h.append('BROKEN-2 neither is this')
    before_kill = len(h.records())
    os.kill(pid1, signal.SIGKILL)
    wait_for('the stopped filter to die', lambda: not alive(pid1))
    pid2 = h.filter_pid(other_than=pid1)
    check(pid2 != pid1, 'no new filter')
    recs = wait_for('verdicts after the restart',
                    lambda: h.have([ids(i) for i in range(10, 15)], [BROKEN_2]))
    check(not any(r.get('event', {}).get('auditID') == ids(10) for r in recs[:before_kill]),
          'the in-flight record was judged before the kill')

    # 3. End of stream: the held RequestReceived record is flushed.
    h.append(auditgen.record(20, kind='secret', stage='RequestReceived'))
    h.append(auditgen.record(21, kind='exec'))
    recs = wait_for('the last verdicts', lambda: h.have([ids(21)]))
    check(not any(r.get('event', {}).get('auditID') == ids(20) for r in recs),
          'a RequestReceived-only record was judged before the end of the stream')
    check(h.filter_pid() == pid2, 'the filter was restarted again')
    h.proc.terminate()
    rc = h.proc.wait(timeout=WAIT)
    check(rc == 0, 'rsyslogd exited with status %d on SIGTERM' % rc)
    check(not alive(pid2), 'the filter outlived rsyslogd')
    return before_kill


def verify(h, before_kill):
    recs = h.records()
    got = [r for r in recs if 'error' not in r]
    errors = [r['error'] for r in recs if 'error' in r]
    want_all = triage_expectation(h.log)
    # record 6 reaches the filter cut by rsyslog (an error record there)
    want = [r for r in want_all if 'error' not in r and
            r['event']['auditID'] != auditgen.audit_id(6)]

    # every record judged exactly once: the same verdicts as one pass over the
    # log (records are independent, so the restart changes no verdict)
    got_keys = sorted(auditgen.verdict_key(v) for v in got)
    want_keys = sorted(auditgen.verdict_key(v) for v in want)
    if got_keys != want_keys:
        missing = [k for k in want_keys if k not in got_keys]
        extra = [k for k in got_keys if k not in want_keys]
        raise Failure('verdicts differ from kag-triage on the same log:\n  missing %s\n'
                      '  extra %s' % ([k[:300] for k in missing[:3]],
                                      [k[:300] for k in extra[:3]]))
    ids = [r['event']['auditID'] for r in got]
    for i in list(range(6)) + list(range(10, 15)) + [20, 21]:
        check(ids.count(auditgen.audit_id(i)) ==
              sum(1 for r in want if r['event']['auditID'] == auditgen.audit_id(i)) > 0,
              'record %d: wrong number of verdicts' % i)
    # the in-flight record: judged by the second filter, once
    inflight = [n for n, r in enumerate(recs) if r.get('event', {}).get('auditID') ==
                auditgen.audit_id(10)]
    check(len(inflight) == 1 and inflight[0] >= before_kill,
          'the in-flight record was not judged exactly once after the restart')
    # the held record: flushed at the end
    check(recs[-1].get('event', {}).get('auditID') == auditgen.audit_id(20) and
          recs[-1]['assessment'] == 'needs_context',
          'the RequestReceived-only record was not flushed at the end of the stream')
    # bad input: one error record each
    check(len(errors) == 3, 'expected 3 error records, got %r' % errors)
    check(sum(BROKEN_1 in e['message'] for e in errors) == 1 and
          sum(BROKEN_2 in e['message'] for e in errors) == 1,
          'bad lines not reported exactly once: %r' % errors)
    cut = [e for e in errors if e['code'] != 'KAG_EPARSE']
    check(cut[0]['code'] == 'KAG_ETRUNCATED' and cut[0]['source'] is None,
          'record cut by maxMessageSize: %r' % cut)
    check(not any(r.get('event', {}).get('auditID') == auditgen.audit_id(6) for r in recs),
          'a record cut by rsyslog was judged')
    err_path = os.path.join(h.tmp, 'filter.stderr')
    check(not os.path.exists(err_path) or os.path.getsize(err_path) == 0,
          'kag-filter wrote to stderr')


def main():
    if not FILTER or not TRIAGE:
        print('KAG_FILTER and KAG_TRIAGE must be set (run through meson test)')
        return 1
    rsyslogd = os.environ.get('KAG_RSYSLOGD') or find_rsyslogd()
    if not rsyslogd or not os.access(rsyslogd, os.X_OK):
        print('SKIP: rsyslogd is not installed (Debian: apt-get install rsyslog)')
        return SKIP
    signal.alarm(WHOLE_TEST)  # never hang: SIGALRM ends the test (cleanup below
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
        Failure('the whole test took longer than %ds' % WHOLE_TEST)))
    tmp = tempfile.mkdtemp(prefix='kag-rsyslog-')
    h = Harness(rsyslogd, tmp)
    ok = False
    try:
        h.write_config()
        complaint = h.config_check()
        if complaint is not None:
            if 'imfile' in complaint or 'omprog' in complaint:
                print('SKIP: rsyslogd lacks the imfile or omprog module:\n' + complaint)
                return SKIP
            raise Failure('rsyslogd rejects the configuration:\n' + complaint)
        h.start()
        before_kill = scenario(h)
        verify(h, before_kill)
        ok = True
        print('rsyslog + kag-filter: %d lines, verdicts exactly once across a filter '
              'restart' % len(h.lines))
        return 0
    except Failure as e:
        print('FAIL: %s' % e)
        return 1
    finally:
        signal.alarm(0)
        try:
            h.stop()
            if not ok:
                h.dump()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())

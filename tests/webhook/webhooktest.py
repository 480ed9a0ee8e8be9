"""What the kag-webhook test and benchmark share: a kag-webhook process, and
a client that posts batches as the kube-apiserver's webhook backend does
(one keep-alive connection, an EventList per POST, retries with exponential
backoff on 429, 5xx and connection failures)."""
import http.client
import json
import os
import signal
import ssl
import subprocess
import time

EVENTLIST = '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[%s]}'


def eventlist(lines):
    """An EventList body of events given as JSON text."""
    return (EVENTLIST % ','.join(lines)).encode()


class Server:
    """kag-webhook on 127.0.0.1 (port 0: a free one), writing to
    DIR/NAME.jsonl; ready once it wrote its --ready-file."""

    def __init__(self, exe, tmp, name, args, port=0, out=None):
        self.out = out or os.path.join(tmp, name + '.jsonl')
        self.ready = os.path.join(tmp, name + '.ready')
        self.errpath = os.path.join(tmp, name + '.err')
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        self.cmd = [exe, '--listen=127.0.0.1:%d' % port, '--ready-file=' + self.ready,
                    '--output=' + self.out] + list(args)
        with open(self.errpath, 'ab') as err:
            self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 20
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None:
                raise AssertionError('%s exited %d before it was ready: %s'
                                     % (name, self.proc.returncode, self.stderr()))
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError('%s not ready after 20 s' % name)
            time.sleep(0.02)
        with open(self.ready) as f:
            self.port = int(f.read().strip().rsplit(':', 1)[1])

    def stderr(self):
        with open(self.errpath, errors='replace') as f:
            return f.read()

    def kill(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError('kag-webhook did not stop within %d s' % timeout)

    def records(self, path=None, killed=False):
        """The output's records. killed: the process was killed, and the
        last line may be cut short (left out)."""
        with open(path or self.out) as f:
            lines = f.read().split('\n')
        if killed:
            lines.pop()  # '' after a whole last line, else the cut one
        return [json.loads(line) for line in lines if line.strip()]


def tls_context(ca, cert=None):
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(*cert)
    return ctx


class Client:
    """One connection to kag-webhook, reopened when it closes."""

    def __init__(self, port, ctx=None, token=None, path='/audit'):
        self.port, self.ctx, self.token, self.path = port, ctx, token, path
        self.conn = None
        self.attempts = []     # the status of every attempt (None: no answer)

    def _connect(self):
        if self.conn is None:
            if self.ctx is not None:
                self.conn = http.client.HTTPSConnection('127.0.0.1', self.port,
                                                        context=self.ctx, timeout=60)
            else:
                self.conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, body=b'', ctype='application/json', method='POST', path=None,
                headers=None, chunked=False):
        """One attempt: (status, headers, body). Connection errors raise."""
        h = {'Content-Type': ctype} if ctype else {}
        if self.token:
            h['Authorization'] = 'Bearer ' + self.token
        h.update(headers or {})
        conn = self._connect()
        try:
            if chunked:
                conn.request(method, path or self.path, body=iter([body]), headers=h,
                             encode_chunked=True)
            else:
                conn.request(method, path or self.path, body=body if method != 'GET' else None,
                             headers=h)
            r = conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if r.getheader('Connection', '').lower() == 'close':
            self.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def send_batch(self, body, deadline=180.0):
        """Post until answered 2xx, as the apiserver does: retry 429, 5xx and
        connection failures with exponential backoff (20 ms doubling, at most
        the Retry-After the server sent, at most 1 s). Any other answer
        fails. Returns the status of the accepting attempt."""
        backoff, end = 0.02, time.monotonic() + deadline
        while True:
            try:
                status, hdrs, _ = self.request(body)
            except (OSError, http.client.HTTPException):
                status, hdrs = None, {}
            self.attempts.append(status)
            if status is not None and 200 <= status < 300:
                return status
            if status is not None and status != 429 and status < 500:
                raise AssertionError('batch refused with %d' % status)
            if status in (429, 503) and 'retry-after' not in hdrs:
                raise AssertionError('%d without Retry-After' % status)
            if time.monotonic() > end:
                raise AssertionError('batch not accepted within %d s' % deadline)
            wait = min(backoff, float(hdrs.get('retry-after', 1)), 1.0)
            time.sleep(wait)
            backoff *= 2

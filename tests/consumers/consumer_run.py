"""The one way the consumer checks (installed.py, pip.py, subproject.py)
run a command: shown before it runs, its output returned, and on failure
its output written and the check ended with the exit status."""
import shlex
import subprocess
import sys


def run(cmd, stderr_apart=False, **kw):
    """Run cmd and return its standard output, as text. With stderr_apart
    the standard error is kept out of what is returned (and written on
    failure after the output); otherwise the two are one stream."""
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE if stderr_apart else subprocess.STDOUT, **kw)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout.decode(errors="replace"))
        if stderr_apart:
            sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit("FAIL: %s: exit status %d" % (" ".join(cmd), proc.returncode))
    return proc.stdout.decode()

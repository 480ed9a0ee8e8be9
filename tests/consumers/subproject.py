#!/usr/bin/env python3
"""Build and test tests/consumers/subproject/, a downstream meson project that
vendors kag as a subproject, in a temporary directory.

  subproject.py --meson MESON --source KAG_SOURCE_ROOT --consumer DIR

The consumer is copied, subprojects/kag is a symbolic link to the kag tree,
and the project is configured with --force-fallback-for=kag so that an
installed kag cannot stand in. The consumer's own test must pass, its
program must print the expected verdict, and kag's tests and examples must
not have been built (they default off in a subproject).

SPDX-License-Identifier: MIT
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile


def run(cmd, **kw):
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout.decode(errors="replace"))
        raise SystemExit("FAIL: exit status %d" % proc.returncode)
    return proc.stdout.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meson", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--consumer", required=True)
    a = ap.parse_args()

    env = dict(os.environ)
    # The consumer is an ordinary build: no sanitizer runtime preloaded
    # into the compilers, whatever build this test belongs to.
    env.pop("LD_PRELOAD", None)

    tmp = tempfile.mkdtemp(prefix="kag-subproject-")
    try:
        src = os.path.join(tmp, "src")
        build = os.path.join(tmp, "build")
        shutil.copytree(a.consumer, src)
        os.makedirs(os.path.join(src, "subprojects"))
        os.symlink(os.path.abspath(a.source), os.path.join(src, "subprojects", "kag"))

        run([a.meson, "setup", build, src, "--force-fallback-for=kag"], env=env)
        run([a.meson, "compile", "-C", build], env=env)
        run([a.meson, "test", "-C", build, "--print-errorlogs"], env=env)
        out = run([os.path.join(build, "consumer")], env=env)
        if out != "interactive_access suspicious in_progress high\n":
            raise SystemExit("FAIL: consumer printed %r" % out)
        for unwanted in ("examples", "tests"):
            path = os.path.join(build, "subprojects", "kag", unwanted)
            if os.path.exists(path):
                raise SystemExit("FAIL: the subproject built its %s (%s)" % (unwanted, path))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()

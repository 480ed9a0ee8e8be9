#!/usr/bin/env python3
"""Build and test tests/consumers/subproject/, a downstream meson project that
vendors kag as a subproject, in a temporary directory.

  subproject.py --meson MESON --source KAG_SOURCE_ROOT --consumer DIR

The consumer is copied, subprojects/kag is a symbolic link to the kag tree,
and the project is configured with --force-fallback-for=kag so that an
installed kag cannot stand in. Three builds:

  - the defaults: the consumer's own test passes, its program prints the
    expected verdict, kag's tests and examples are not built, and
    `meson install` puts nothing of kag into the parent's prefix;
  - -Dkag:default_library=static: the program has kag linked in (no
    libkag.so.0 among its needed libraries) and prints the same;
  - -Dkag:install=enabled: the library, kag.h and kag.pc are installed.

SPDX-License-Identifier: MIT
"""

import argparse
import os
import shutil
import tempfile

from consumer_run import run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meson", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--consumer", required=True)
    ap.add_argument("--readelf", required=True)
    a = ap.parse_args()

    env = dict(os.environ)
    # The consumer is an ordinary build: no sanitizer runtime preloaded
    # into the compilers, whatever build this test belongs to.
    env.pop("LD_PRELOAD", None)

    tmp = tempfile.mkdtemp(prefix="kag-subproject-")
    try:
        src = os.path.join(tmp, "src")
        shutil.copytree(a.consumer, src)
        os.makedirs(os.path.join(src, "subprojects"))
        os.symlink(os.path.abspath(a.source), os.path.join(src, "subprojects", "kag"))

        def build_and_check(name, *options):
            b = os.path.join(tmp, "build-" + name)
            dest = os.path.join(tmp, "dest-" + name)
            run([a.meson, "setup", b, src, "--force-fallback-for=kag",
                 "--prefix=/usr"] + list(options), env=env)
            run([a.meson, "compile", "-C", b], env=env)
            run([a.meson, "test", "-C", b, "--print-errorlogs"], env=env)
            out = run([os.path.join(b, "consumer")], env=env)
            if out != "interactive_access suspicious in_progress high\n":
                raise SystemExit("FAIL: %s: consumer printed %r" % (name, out))
            for unwanted in ("examples", "tests"):
                path = os.path.join(b, "subprojects", "kag", unwanted)
                if os.path.exists(path):
                    raise SystemExit("FAIL: %s: the subproject built its %s (%s)"
                                     % (name, unwanted, path))
            run([a.meson, "install", "-C", b, "--destdir", dest], env=env)
            installed = sorted(os.path.relpath(os.path.join(d, f), dest)
                               for d, _, files in os.walk(dest) for f in files)
            needed = run([a.readelf, "-d", os.path.join(b, "consumer")], env=env)
            return installed, "libkag.so" in needed

        installed, dynamic = build_and_check("default")
        if installed:
            raise SystemExit("FAIL: the subproject installed into its parent: %s" % installed)
        if not dynamic:
            raise SystemExit("FAIL: default build: consumer not linked to libkag.so")

        installed, dynamic = build_and_check("static", "-Dkag:default_library=static")
        if installed or dynamic:
            raise SystemExit("FAIL: static build: installed %s, libkag.so needed: %s"
                             % (installed, dynamic))

        installed, _ = build_and_check("install", "-Dkag:install=enabled")
        for want in ("usr/include/kag/kag.h", "usr/include/kag/kag_version.h"):
            if want not in installed:
                raise SystemExit("FAIL: -Dkag:install=enabled: %s not installed (%s)"
                                 % (want, installed))
        if not any(p.endswith("pkgconfig/kag.pc") for p in installed) or \
                not any("/libkag.so" in p for p in installed):
            raise SystemExit("FAIL: -Dkag:install=enabled: no library or kag.pc (%s)"
                             % installed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("3 builds passed, 0 failed")


if __name__ == "__main__":
    main()

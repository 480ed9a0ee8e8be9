#!/usr/bin/env python3
"""Build examples/01-parse-event.c against an installed kag, found only with
pkg-config, as a downstream project would: shared, then static.

  installed.py --meson MESON --builddir DIR --example FILE --sample FILE
               --reference EXE [--sanitize FLAGS] -- CC...

1. `meson install --destdir STAGE` of the build under test (no rebuild);
2. PKG_CONFIG_PATH at STAGE's pkgconfig directory and PKG_CONFIG_SYSROOT_DIR
   at STAGE (the installed kag.pc names the real prefix; the sysroot maps
   it into the staging tree);
3. shared: cc $(pkg-config --cflags kag) 01-parse-event.c $(pkg-config --libs
   kag); the program must need libkag.so.N, run from STAGE's libdir, and
   print what the in-tree build of the example prints on the sample log;
4. static: the same with `pkg-config --static`, linking libkag.a (-l:libkag.a
   for -lkag) and the shared system libraries, so the private dependencies
   (Requires.private) must be complete; the program must not need
   libkag.so. Where the C library and every dependency have static archives
   and no sanitizer is on, also a fully -static link.

SPDX-License-Identifier: MIT
"""

import argparse
import functools
import os
import shlex
import shutil
import tempfile

import consumer_run

# readelf's and the compilers' warnings stay out of the output parsed
run = functools.partial(consumer_run.run, stderr_apart=True)


def needed(exe):
    out = run(["readelf", "-d", exe])
    return [line.split("[", 1)[1].split("]", 1)[0]
            for line in out.splitlines() if "(NEEDED)" in line]


def find(root, name):
    for d, _, files in os.walk(root):
        if name in files:
            return os.path.join(d, name)
    raise SystemExit("FAIL: %s not installed under %s" % (name, root))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meson", required=True)
    ap.add_argument("--builddir", required=True)
    ap.add_argument("--example", required=True)
    ap.add_argument("--sample", required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--sanitize", default="")
    ap.add_argument("cc", nargs="+")
    a = ap.parse_args()
    sanitize = shlex.split(a.sanitize)
    checks = 0

    tmp = tempfile.mkdtemp(prefix="kag-installed-")
    try:
        stage = os.path.join(tmp, "stage")
        run([a.meson, "install", "-C", a.builddir, "--no-rebuild", "--quiet",
             "--destdir", stage])
        pc = find(stage, "kag.pc")
        libdir = os.path.dirname(find(stage, "libkag.a"))
        find(stage, "kag.h")
        find(stage, "kag_version.h")
        env = dict(os.environ)
        env["PKG_CONFIG_PATH"] = os.path.dirname(pc)
        env["PKG_CONFIG_SYSROOT_DIR"] = stage
        env.pop("PKG_CONFIG_LIBDIR", None)

        def pkg(*args):
            return shlex.split(run(["pkg-config"] + list(args) + ["kag"], env=env))

        cflags, libs = pkg("--cflags"), pkg("--libs")
        if not any(f.startswith("-I" + stage) for f in cflags):
            raise SystemExit("FAIL: --cflags %s do not point into the install" % cflags)
        if "-lkag" not in libs:
            raise SystemExit("FAIL: --libs %s lack -lkag" % libs)

        ref = run([a.reference, a.sample])
        if ref.count("\n") < 3:
            raise SystemExit("FAIL: reference output has too few verdicts:\n" + ref)

        run_env = dict(os.environ)
        run_env["LD_LIBRARY_PATH"] = libdir

        # shared
        exe = os.path.join(tmp, "parse-shared")
        run(a.cc + sanitize + cflags + [a.example, "-o", exe] + libs)
        if not any(n.startswith("libkag.so.") for n in needed(exe)):
            raise SystemExit("FAIL: %s does not need libkag.so: %s" % (exe, needed(exe)))
        trace = dict(run_env, LD_TRACE_LOADED_OBJECTS="1")
        loaded = [line for line in run([exe], env=trace).splitlines() if "libkag.so" in line]
        if len(loaded) != 1 or "=> " + libdir + "/" not in loaded[0]:
            raise SystemExit("FAIL: libkag.so not loaded from the install: %s" % loaded)
        got = run([exe, a.sample], env=run_env)
        if got != ref:
            raise SystemExit("FAIL: shared build prints other verdicts than the tree's build")
        checks += 1

        # static libkag, shared system libraries
        scflags, slibs = pkg("--static", "--cflags"), pkg("--static", "--libs")
        slibs = ["-l:libkag.a" if f == "-lkag" else f for f in slibs]
        exe = os.path.join(tmp, "parse-static")
        run(a.cc + sanitize + scflags + [a.example, "-o", exe] + slibs)
        if any(n.startswith("libkag") for n in needed(exe)):
            raise SystemExit("FAIL: static build still needs %s" % needed(exe))
        clean_env = dict(os.environ)
        clean_env.pop("LD_LIBRARY_PATH", None)
        if run([exe, a.sample], env=clean_env) != ref:
            raise SystemExit("FAIL: static build prints other verdicts than the tree's build")
        checks += 1

        # fully static, where possible
        archives = [f[2:] for f in slibs if f.startswith("-l") and not f.startswith("-l:")]
        have_all = all(os.path.isabs(run(a.cc + ["-print-file-name=lib%s.a" % n]).strip())
                       for n in archives + ["c"])
        if not sanitize and have_all:
            exe = os.path.join(tmp, "parse-full-static")
            run(a.cc + scflags + ["-static", a.example, "-o", exe] + pkg("--static", "--libs"))
            if needed(exe):
                raise SystemExit("FAIL: -static build needs %s" % needed(exe))
            if run([exe, a.sample], env=clean_env) != ref:
                raise SystemExit("FAIL: -static build prints other verdicts than the tree's build")
            checks += 1
        else:
            print("fully static link not tried (sanitizer on or a static archive missing)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, 0 failed" % checks)


if __name__ == "__main__":
    main()

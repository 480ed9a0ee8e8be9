#!/usr/bin/env python3
"""pip install of examples/python into a fresh virtual environment, offline:

  pip.py --python PYTHON --source DIR --library LIBKAG --version X.Y.Z

The environment is made with --system-site-packages (setuptools comes from
the system) and the package is installed with --no-build-isolation
--no-index, as on a machine without a package index. Then, from another
directory (so that the source file cannot be imported by accident), the
installed module is imported, reports the library's version, judges a
record (bytes and a dict), and pip lists the package at the project's
version. When the interpreter's headers are installed (python3-dev), the
accelerator (_kagrecord) must have been built and be in use.

SPDX-License-Identifier: MIT
"""
import argparse
import json
import os
import shutil
import tempfile

from consumer_run import run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--library", required=True)
    ap.add_argument("--version", required=True)
    a = ap.parse_args()

    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    for k in ("PYTHONPATH", "LD_PRELOAD", "PIP_INDEX_URL"):
        env.pop(k, None)
    tmp = tempfile.mkdtemp(prefix="kag-pip-")
    try:
        src = os.path.join(tmp, "src")
        # a copy: the build writes build/ and *.egg-info next to the sources
        shutil.copytree(a.source, src, ignore=shutil.ignore_patterns(
            "tests", "__pycache__", "build", "*.egg-info"))
        venv = os.path.join(tmp, "venv")
        run([a.python, "-m", "venv", "--system-site-packages", venv], env=env)
        py = os.path.join(venv, "bin", "python")
        run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index", src], env=env)
        shown = run([py, "-m", "pip", "show", "kag"], env=env)
        if "Version: %s\n" % a.version not in shown:
            raise SystemExit("FAIL: pip show kag:\n%s(the project is %s)" % (shown, a.version))
        probe = ("import json, kag\n"
                 "with kag.Engine() as e:\n"
                 "    recs = e.judge(b'{\"verb\":\"create\",\"objectRef\":{\"resource\":\"pods\","
                 "\"subresource\":\"exec\",\"namespace\":\"prod\",\"name\":\"api\"},"
                 "\"user\":{\"username\":\"alice\"},\"stage\":\"ResponseStarted\","
                 "\"responseStatus\":{\"code\":101}}\\n')\n"
                 "    recs += e.judge_record({'verb': 'create', 'auditID': 'b',"
                 " 'objectRef': {'resource': 'pods', 'subresource': 'exec',"
                 " 'namespace': 'prod', 'name': 'api'}, 'user': {'username': 'alice'},"
                 " 'stage': 'ResponseStarted', 'responseStatus': {'code': 101}})\n"
                 "print(json.dumps([kag.__file__, kag.library_version(),"
                 " [r['detector'] for r in recs], kag.ACCELERATED]))\n")
        out = run([py, "-c", probe], env=dict(env, KAG_LIBRARY=a.library), cwd=tmp)
        where, version, detectors, accelerated = json.loads(out)
        if not where.startswith(venv + os.sep):
            raise SystemExit("FAIL: imported %s, not the installed module" % where)
        if version != a.version or detectors != ["interactive_access"] * 2:
            raise SystemExit("FAIL: library %s, verdicts %s" % (version, detectors))
        headers = run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"],
                      env=env).strip()
        if os.path.isfile(os.path.join(headers, "Python.h")) and not accelerated:
            raise SystemExit("FAIL: %s has Python.h, but the installed module does not "
                             "use the accelerator" % headers)
        print("accelerator: %s" % ("in use" if accelerated else "not built (no Python.h)"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("pip install into a fresh venv: ok")


if __name__ == "__main__":
    main()

"""Man pages and bash completion of the installed tools: `meson install`
into a staging directory, then for every program installed into bin/:

- share/man/man1/PROGRAM.1 exists, is a help2man page of this version,
  mentions every long option PROGRAM --help lists, has the sections help2man
  cannot take from --help (EXAMPLES, SEE ALSO, and the exit status), and
  renders with groff without a warning;
- the bash completion directory holds a file of PROGRAM's name that
  registers a completion for it.

  test_man.py --meson MESON --builddir DIR --man-pages N

Skipped (77) when the build made no man pages (help2man not found).
SPDX-License-Identifier: MIT
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def fail(msg):
    raise SystemExit('FAIL: ' + msg)


def find_dir(root, tail):
    for d, _, _ in os.walk(root):
        if d.endswith(tail):
            return d
    fail('nothing installed under */%s in %s' % (tail, root))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--meson', required=True)
    ap.add_argument('--builddir', required=True)
    ap.add_argument('--man-pages', type=int, required=True)
    ap.add_argument('--version', required=True)
    a = ap.parse_args()
    if a.man_pages == 0:
        print('no man pages built (help2man not found): skipped')
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix='kag-man-')
    checks = 0
    try:
        stage = os.path.join(tmp, 'stage')
        subprocess.run([a.meson, 'install', '-C', a.builddir, '--no-rebuild', '--quiet',
                        '--destdir', stage], check=True, stdout=subprocess.DEVNULL)
        bindir = find_dir(stage, '/bin')
        man1 = find_dir(stage, '/share/man/man1')
        compdir = find_dir(stage, '/bash-completion/completions')
        libdir = os.path.dirname(next(os.path.join(d, f) for d, _, fs in os.walk(stage)
                                      for f in fs if f.startswith('libkag.so.')))
        env = dict(os.environ, LD_LIBRARY_PATH=libdir)
        tools = sorted(os.listdir(bindir))
        if len(tools) < 2:
            fail('installed tools: %s' % tools)
        for tool in tools:
            helptext = subprocess.run([os.path.join(bindir, tool), '--help'], env=env,
                                      stdout=subprocess.PIPE, check=True).stdout.decode()
            opts = re.findall(r'(?m)^ +(?:-\w, +)?(--[\w-]+)', helptext)
            if len(opts) < 10:
                fail('%s --help lists only %s' % (tool, opts))
            page = os.path.join(man1, tool + '.1')
            if not os.path.isfile(page):
                fail('%s is installed without a man page (%s)' % (tool, page))
            with open(page, encoding='utf-8') as f:
                roff = f.read()
            # the words as a reader sees them: no font escapes, plain hyphens
            plain = re.sub(r'\\f(\[[A-Z]*\]|\(..|.)', '', roff).replace('\\-', '-')
            missing = [o for o in opts if not re.search(re.escape(o) + r'\b', plain)]
            if missing:
                fail('%s: the man page lacks %s' % (page, missing))
            # (the version line may go on: "kag-kafka 0.3.0 (librdkafka 2.0.2)")
            th = re.search(r'(?m)^\.TH (\S+) "?1"? .*"%s %s[" ]' % (re.escape(tool), a.version),
                           roff)
            if not th or th.group(1).strip('"') != tool.upper():
                fail('%s: .TH does not name %s %s' % (page, tool, a.version))
            for sect in ('NAME', 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'SEE ALSO'):
                if not re.search(r'(?m)^\.SH "?%s"?$' % sect, roff):
                    fail('%s: no %s section' % (page, sect))
            if not (re.search(r'(?m)^\.SH "?EXIT STATUS"?$', roff) or 'Exit status:' in plain):
                fail('%s: the exit status is not documented' % page)
            if shutil.which('groff'):
                r = subprocess.run(['groff', '-man', '-Tutf8', '-ww', '-z', page],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                if r.returncode != 0 or r.stderr:
                    fail('groff on %s: %s' % (page, r.stderr.decode()))
            comp = os.path.join(compdir, tool)
            if not os.path.isfile(comp):
                fail('%s is installed without a bash completion (%s)' % (tool, comp))
            with open(comp, encoding='utf-8') as f:
                if not re.search(r'(?m)^complete -F \S+ %s$' % re.escape(tool), f.read()):
                    fail('%s does not register a completion for %s' % (comp, tool))
            print('ok %s: man page with all %d options, bash completion' % (tool, len(opts)))
            checks += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print('%d passed, 0 failed' % checks)


if __name__ == '__main__':
    main()

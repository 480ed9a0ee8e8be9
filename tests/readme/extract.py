#!/usr/bin/env python3
"""Write the C code blocks of a Markdown file to files, so that the build
compiles them and a test runs them. Every ```c block must start with a
line `/* readme: NAME */`; the names asked for on the command line are
written to OUTDIR, and a block that is not asked for, or a name asked for
that no block has, is an error (a block added to the README without a test
fails the build).

usage: extract.py README.md OUTDIR NAME...
"""
import os
import re
import sys


def blocks(text):
    """(name, code) of each ```c block, in order."""
    out = []
    for m in re.finditer(r'^```c\n(.*?)^```$', text, re.S | re.M):
        code = m.group(1)
        first = code.split('\n', 1)[0]
        name = re.fullmatch(r'/\* readme: ([A-Za-z0-9_.-]+\.c) \*/', first)
        if not name:
            line = text.count('\n', 0, m.start()) + 1
            sys.exit('%s: the C block at line %d does not start with /* readme: NAME.c */'
                     % (sys.argv[1], line))
        out.append((name.group(1), code))
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    readme, outdir, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(readme, encoding='utf-8') as f:
        found = blocks(f.read())
    names = [n for n, _ in found]
    extra = sorted(set(names) - set(wanted))
    missing = sorted(set(wanted) - set(names))
    if extra or missing or len(names) != len(set(names)):
        sys.exit('%s: C blocks %s; the build compiles %s (add a new block to '
                 'tests/readme/meson.build)' % (readme, names, wanted))
    for name, code in found:
        with open(os.path.join(outdir, name), 'w', encoding='utf-8') as f:
            f.write(code)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""The body of kag.h (between the preamble markers and the closing C++ guard)
must be digestible by cffi's cdef: after `cc -E -P` it holds no function-like
macros, no inline or static functions, no function bodies, no variadic
declarations and no GNU attributes. When the cffi module is available the
preprocessed body is also fed to cffi.FFI().cdef().

usage: cffi-header.py kag.h -- CC [CC ARGS...]
"""
import os
import re
import subprocess
import sys
import tempfile

START = '/* ---- end of preamble ---- */'
END_RE = re.compile(r'#ifdef\s+__cplusplus\s*\n\s*\}\s*\n\s*#endif\s*\n\s*#endif\s*/\*\s*KAG_H\s*\*/\s*$')

errors = []


def fail(msg):
    errors.append(msg)


def preprocess(cc, text, extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'body.h')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        return subprocess.run(list(cc) + ['-E', '-P', '-x', 'c'] + list(extra) + [path],
                              check=True, stdout=subprocess.PIPE,
                              universal_newlines=True).stdout


def macro_defs(cc, text):
    """#define lines seen by the preprocessor (-dD) for `text`."""
    out = preprocess(cc, text, ['-dD', '-DKAG_API='])
    return {line.strip() for line in out.splitlines() if line.startswith('#define ')}


def main():
    if len(sys.argv) < 4 or sys.argv[2] != '--':
        print(__doc__, file=sys.stderr)
        return 2
    header, cc = sys.argv[1], sys.argv[3:]
    text = open(header, encoding='utf-8').read()

    start = text.find(START)
    if start < 0:
        print('FAIL: kag.h has no "%s" marker' % START, file=sys.stderr)
        return 1
    m = END_RE.search(text)
    if not m:
        print('FAIL: kag.h does not end with the closing extern "C" guard and #endif',
              file=sys.stderr)
        return 1
    body = text[start + len(START):m.start()]
    preamble = text[:start]
    if '#include' in body:
        fail('the body includes other headers; includes belong in the preamble')
    if 'extern "C"' not in preamble:
        fail('the preamble has no extern "C" guard')

    # Macros the body defines: everything -dD shows beyond the built-ins.
    builtin = macro_defs(cc, '')
    for d in sorted(macro_defs(cc, body) - builtin):
        name = d.split()[1]
        if '(' in name:
            fail('function-like macro in the body: %s' % d)

    # Preprocess as cffi users do, with the export macro defined away.
    cdef = preprocess(cc, body, ['-DKAG_API='])
    tokens = re.findall(r'[A-Za-z_]\w*|\.\.\.|[{}();,]', cdef)
    for word in ('inline', '__inline', '__inline__', 'static', '__attribute__',
                 '__declspec', 'va_list', '__builtin_va_list', 'union', 'bool', '_Bool'):
        if word in tokens:
            fail('the preprocessed body contains "%s"' % word)
    if '...' in tokens:
        fail('the preprocessed body declares a variadic function')
    if re.search(r'\)\s*\{', cdef):
        fail('the preprocessed body contains a function definition')
    if re.search(r'^\s*#', cdef, re.M):
        fail('the preprocessed body still contains preprocessor directives')
    if 'KAG_API' in cdef:
        fail('KAG_API survived preprocessing')
    # Counts are functions (kag_field_count()), not enum sentinels: a
    # sentinel is compiled into callers and must move whenever an id is
    # appended.
    for name in sorted(set(re.findall(r'\bKAG_\w*_COUNT_?\b', cdef))):
        fail('enum sentinel %s in the body; answer the count with a function' % name)
    n_funcs = len(re.findall(r'\bkag_\w+\s*\(', cdef))
    if n_funcs < 10:
        fail('only %d function declarations found in the preprocessed body' % n_funcs)

    try:
        import cffi
    except ImportError:
        cffi = None
    if cffi is not None:
        try:
            ffi = cffi.FFI()
            ffi.cdef(cdef)
            # Enum constants come from the cdef alone; no library is loaded.
            consts = ffi.dlopen(None)
            if consts.KAG_ETRUNCATED != -10 or consts.KAG_FIELD_RESPONSE_OBJECT != 34:
                fail('cffi reads KAG_ETRUNCATED as %d, KAG_FIELD_RESPONSE_OBJECT as %d'
                     % (consts.KAG_ETRUNCATED, consts.KAG_FIELD_RESPONSE_OBJECT))
            print('cffi %s: cdef accepted the preprocessed body' % cffi.__version__)
        except Exception as e:  # cffi raises several unrelated types
            fail('cffi cdef rejected the preprocessed body: %s: %s' % (type(e).__name__, e))
    else:
        print('cffi not installed: textual checks only')

    print('%d function declarations in the cdef body' % n_funcs)
    if errors:
        for e in errors:
            print('FAIL: ' + e, file=sys.stderr)
        return 1
    print('cffi header: ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())

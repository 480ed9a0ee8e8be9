#!/usr/bin/env python3
"""Exported symbols of libkag.so against lib/kag.sym and include/kag.h.

Checks, on the built shared library:
  - `nm -D --defined-only` lists exactly the globals of kag.sym, each bound
    to the version node that declares it;
  - every exported symbol starts with kag_ (and none with the internal kag__);
  - kag.sym nodes are well formed, end with `local: *;`, keep their globals
    alphabetical and list each symbol once;
  - every KAG_API function declared in kag.h is exported, and every exported
    symbol is declared KAG_API in kag.h;
  - optionally, the SONAME is the expected one.

usage: exported-symbols.py --nm NM --sym kag.sym --header kag.h
                           [--readelf READELF --soname libkag.so.N] LIBKAG_SO
"""
import argparse
import re
import subprocess
import sys

errors = []


def fail(msg):
    errors.append(msg)


def strip_c_comments(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', text)


def parse_sym(path):
    """Return {symbol: node} and the node order from a GNU version script."""
    text = re.sub(r'/\*.*?\*/', ' ', open(path, encoding='utf-8').read(), flags=re.S)
    text = re.sub(r'#[^\n]*', ' ', text)
    node_re = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)\s*\{(.*?)\}\s*([A-Za-z_][A-Za-z0-9_.]*)?\s*;',
                         re.S)
    symbols = {}
    nodes = []
    pos = 0
    for m in node_re.finditer(text):
        if text[pos:m.start()].strip():
            fail('kag.sym: unparsed text before node %s: %r' % (m.group(1), text[pos:m.start()].strip()[:60]))
        pos = m.end()
        name, body, parent = m.group(1), m.group(2), m.group(3)
        if parent and parent not in nodes:
            fail('kag.sym: node %s inherits from unknown or later node %s' % (name, parent))
        if nodes and not parent:
            fail('kag.sym: node %s does not inherit from an earlier node' % name)
        nodes.append(name)
        section = None
        globals_in_node = []
        has_local_star = False
        for tok in re.findall(r'[^\s;]+:|[^\s;]+(?=\s*;)', body):
            if tok.endswith(':'):
                section = tok[:-1]
                if section not in ('global', 'local'):
                    fail('kag.sym: node %s: unknown section %r' % (name, section))
                continue
            if section == 'global':
                globals_in_node.append(tok)
            elif section == 'local':
                if tok == '*':
                    has_local_star = True
                else:
                    fail('kag.sym: node %s lists local symbol %s' % (name, tok))
            else:
                fail('kag.sym: node %s: symbol %s outside a section' % (name, tok))
        if len(nodes) == 1 and not has_local_star:
            fail('kag.sym: first node %s must end with "local: *;"' % name)
        if globals_in_node != sorted(globals_in_node):
            fail('kag.sym: globals of node %s are not alphabetical' % name)
        for sym in globals_in_node:
            if sym in symbols:
                fail('kag.sym: %s is listed in both %s and %s' % (sym, symbols[sym], name))
            symbols[sym] = name
    if text[pos:].strip():
        fail('kag.sym: unparsed trailing text: %r' % text[pos:].strip()[:60])
    if not symbols:
        fail('kag.sym: no global symbols found')
    return symbols, nodes


def parse_nm(nm, lib):
    out = subprocess.run([nm, '-D', '--defined-only', lib], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    exported = {}
    version_defs = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        kind, name = parts[-2], parts[-1]
        version = None
        if '@' in name:
            name, _, version = name.partition('@')
            version = version.lstrip('@')
        if kind == 'A' and (version is None or version == name):
            version_defs.add(name)  # a version node definition, not a symbol
            continue
        exported[name] = (kind, version)
    return exported, version_defs


def parse_header(path):
    text = strip_c_comments(open(path, encoding='utf-8').read())
    # Declarations only: drop preprocessor lines (the KAG_API definitions).
    text = re.sub(r'^[ \t]*#(?:[^\n]*\\\n)*[^\n]*', ' ', text, flags=re.M)
    decls = set()
    for m in re.finditer(r'\bKAG_API\b([^;{]*?)\b([A-Za-z_]\w*)\s*\(', text):
        decls.add(m.group(2))
    if not decls:
        fail('kag.h: no KAG_API declarations found')
    return decls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nm', required=True)
    ap.add_argument('--sym', required=True)
    ap.add_argument('--header', required=True)
    ap.add_argument('--readelf')
    ap.add_argument('--soname')
    ap.add_argument('lib')
    args = ap.parse_args()

    listed, nodes = parse_sym(args.sym)
    exported, version_defs = parse_nm(args.nm, args.lib)
    declared = parse_header(args.header)

    for sym in sorted(exported):
        if not sym.startswith('kag_'):
            fail('exported symbol %s does not start with kag_' % sym)
        elif sym.startswith('kag__'):
            fail('internal symbol %s is exported' % sym)
    for sym in sorted(set(exported) - set(listed)):
        fail('exported but not in kag.sym: %s' % sym)
    for sym in sorted(set(listed) - set(exported)):
        fail('in kag.sym but not exported (or not defined): %s' % sym)
    for sym in sorted(set(listed) & set(exported)):
        kind, version = exported[sym]
        if kind not in ('T', 'W', 'i'):
            fail('exported %s has symbol type %s (expected a function)' % (sym, kind))
        if version != listed[sym]:
            fail('%s is bound to version %s, kag.sym puts it in %s' % (sym, version, listed[sym]))
    for node in nodes:
        if node not in version_defs:
            fail('version node %s is not defined in the library' % node)
    for sym in sorted(declared - set(exported)):
        fail('declared KAG_API in kag.h but not exported: %s' % sym)
    for sym in sorted(set(exported) - declared):
        fail('exported but not declared KAG_API in kag.h: %s' % sym)

    if args.readelf and args.soname:
        dyn = subprocess.run([args.readelf, '-d', args.lib], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
        m = re.search(r'\(SONAME\)\s+Library soname: \[([^\]]+)\]', dyn)
        if not m:
            fail('no SONAME in %s' % args.lib)
        elif m.group(1) != args.soname:
            fail('SONAME is %s, expected %s' % (m.group(1), args.soname))

    print('%d symbols exported, %d in kag.sym (%s), %d KAG_API declarations'
          % (len(exported), len(listed), ', '.join(nodes), len(declared)))
    if errors:
        for e in errors:
            print('FAIL: ' + e, file=sys.stderr)
        return 1
    print('exported symbols: ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env bash
# The Debian packages, built and tried as a user would get them (.ci/run's
# "Debian packages" step; not a meson test: it builds the whole package):
#
#  1. a clean copy of the tree (the files git knows, without build
#     directories), made into a source package (dpkg-source -b) and built
#     with dpkg-buildpackage -us -uc -b: debian/rules
#     checks debian/libkag0.symbols against lib/kag.sym, dpkg-gensymbols that
#     the library exports exactly those symbols, and dh_auto_test runs the
#     unit and cli suites;
#  2. lintian on the .changes and the .dsc: any error fails, warnings are
#     printed;
#  3. every .deb unpacked with dpkg -x into one temporary root (nothing is
#     installed on this host), then against that root:
#     - a consumer C program (examples/01-parse-event.c) built with
#       pkg-config (PKG_CONFIG_SYSROOT_DIR at the root), shared and
#       --static, run with LD_LIBRARY_PATH into the root: the same output as
#       the in-package build of the example;
#     - the installed kag-triage on examples/sample-audit.jsonl: exit
#       status 1 (line 23 is rejected on purpose) and the summary line;
#     - python3 -c 'import kag' from the root's dist-packages, KAG_LIBRARY
#       at the root's libkag.so.0, judging the sample and a decoded record
#       with the packaged accelerator;
#     - every man page rendered by man -l (groff) without a warning, every
#       tool with a completion that loads in bash;
#     - the example systemd units with systemd-analyze verify, when systemd
#       is installed (skipped otherwise), tools pointed into the root.
#
#   tests/deb/deb-test.sh [--reuse] [WORKDIR]
# WORKDIR: default a new temporary directory, removed at the end. --reuse:
# take the packages already built in WORKDIR (when changing the checks).
# Needs the Build-Depends of debian/control and debhelper, dpkg-dev,
# lintian, gcc. DEB_BUILD_OPTIONS is passed on (parallel=N is set from
# nproc when absent).
#
# SPDX-License-Identifier: MIT
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }

reuse=0
if [ "${1:-}" = --reuse ]; then
	reuse=1
	shift
fi
if [ $# -ge 1 ]; then
	work=$1
	[ "$reuse" = 1 ] || rm -rf "$work"
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/kag-deb.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
version=$(sed -n '1s/^kag (\([^)]*\)).*/\1/p' "$top/debian/changelog")
[ -n "$version" ] || fail "no version in debian/changelog"

# 1. a clean copy: tracked files and new ones git does not ignore (so that
# build*/ and obj-*/ stay out), or, outside git, the tree without them
src=$work/kag-$version
if [ "$reuse" = 1 ]; then
	echo "deb-test: the packages already in $work"
	rm -rf "$work/root" "$work/units"
elif git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mkdir -p "$src"
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			# (a file deleted but not yet committed is left out)
			if [ -e "$f" ] || [ -L "$f" ]; then
				printf '%s\0' "$f"
			fi
		done | tar --null --no-recursion -T - -cf -) | tar -C "$src" -xf -
else
	mkdir -p "$src"
	(cd "$top" && tar --exclude='./build*' --exclude='./obj-*' --exclude=./.git -cf - .) |
		tar -C "$src" -xf -
fi
if [ "$reuse" = 0 ]; then
	case " ${DEB_BUILD_OPTIONS:-} " in
	*" parallel="*) ;;
	*) DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=$(nproc 2>/dev/null || echo 2)" ;;
	esac
	export DEB_BUILD_OPTIONS
	t0=$(date +%s)
	# the source package too (lintian reads it below)
	(cd "$work" && dpkg-source -b "kag-$version") > "$work/source.log" 2>&1 ||
		{ cat "$work/source.log"; fail "dpkg-source -b failed"; }
	echo "deb-test: dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
	(cd "$src" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1 ||
		{ tail -n 80 "$work/build.log"; fail "dpkg-buildpackage failed (log: $work/build.log)"; }
	grep -E '^(dpkg-gensymbols: warning|Ok:|Fail:|Skipped:)' "$work/build.log" || true
	echo "deb-test: built in $(( $(date +%s) - t0 ))s"
fi
changes=$(ls "$work"/kag_"$version"_*.changes)
debs=()
for p in libkag0 libkag-dev kag-tools python3-kag; do
	deb=$(ls "$work/${p}_$version"_*.deb 2>/dev/null) || fail "no $p package"
	debs+=("$deb")
done

# 2. lintian: errors fail, warnings are shown
t0=$(date +%s)
lintian --tag-display-limit 0 "$changes" "$work/kag_$version.dsc" > "$work/lintian.txt" 2>&1 || true
cat "$work/lintian.txt"
if grep -q '^E: ' "$work/lintian.txt"; then
	fail "lintian reports errors"
fi
echo "deb-test: lintian: $(grep -c '^W: ' "$work/lintian.txt" || true) warnings, no error ($(( $(date +%s) - t0 ))s)"

# 3. the packages unpacked into a temporary root
root=$work/root
for deb in "${debs[@]}"; do
	dpkg -x "$deb" "$root"
done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=$root/usr/lib/$multiarch
[ -e "$libdir/libkag.so.0" ] || fail "no libkag.so.0 in $libdir"
[ -e "$root/usr/include/kag/kag.h" ] || fail "no kag.h"
readelf -d "$libdir/libkag.so.0" | grep -q 'SONAME.*\[libkag\.so\.0\]' || fail "SONAME"
for exe in "$root"/usr/bin/* "$libdir"/libkag.so.0; do
	if readelf -d "$exe" | grep -qE '\((RPATH|RUNPATH)\)'; then
		fail "$exe has an rpath"
	fi
done
export LD_LIBRARY_PATH=$libdir

# the consumer: shared, then static, with the packages' kag.pc
export PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH=$libdir/pkgconfig
unset PKG_CONFIG_LIBDIR
cflags=$(pkg-config --cflags kag)
case "$cflags" in *"-I$root/usr/include/kag"*) ;; *) fail "pkg-config --cflags: $cflags" ;; esac
example=$top/examples/01-parse-event.c
sample=$top/examples/sample-audit.jsonl
"${CC:-cc}" $cflags "$example" -o "$work/parse-shared" $(pkg-config --libs kag)
readelf -d "$work/parse-shared" | grep -q 'NEEDED.*\[libkag\.so\.0\]' ||
	fail "the consumer does not need libkag.so.0"
LD_TRACE_LOADED_OBJECTS=1 "$work/parse-shared" | grep -q "libkag.so.0 => $libdir/libkag.so.0" ||
	fail "the consumer does not load the packaged libkag.so.0"
"$work/parse-shared" "$sample" > "$work/parse-shared.out" 2> "$work/parse-shared.err"
[ "$(wc -l < "$work/parse-shared.out")" -ge 3 ] || fail "the consumer printed too little"
slibs=$(pkg-config --static --libs kag | sed 's/-lkag\b/-l:libkag.a/')
"${CC:-cc}" $(pkg-config --static --cflags kag) "$example" -o "$work/parse-static" $slibs
if readelf -d "$work/parse-static" | grep -q 'NEEDED.*libkag'; then
	fail "the static consumer needs libkag.so"
fi
env -u LD_LIBRARY_PATH "$work/parse-static" "$sample" 2>/dev/null | cmp -s - "$work/parse-shared.out" ||
	fail "the static and the shared consumer disagree"
echo "deb-test: ok consumer (pkg-config, shared and static)"

# the installed kag-triage on the sample: line 23 is rejected on purpose
status=0
"$root/usr/bin/kag-triage" --output=text --summary "$sample" > "$work/triage.out" 2>&1 || status=$?
[ "$status" = 1 ] || fail "kag-triage on the sample exited $status, not 1"
grep -q '^records 24 = judged 23 + rejected 1 + skipped 0;' "$work/triage.out" ||
	{ tail -n 5 "$work/triage.out"; fail "kag-triage summary"; }
[ "$("$root/usr/bin/kag-triage" --version)" = "kag-triage $version" ] || fail "kag-triage --version"
echo "deb-test: ok kag-triage (exit 1, 24 records = 23 judged + 1 rejected)"

# the Python module: from the root only (-I: no user site, no cwd)
pydir=$root/usr/lib/python3/dist-packages
[ -f "$pydir/kag.py" ] || fail "no kag.py in $pydir"
got=$(cd "$work" && PYTHONPATH=$pydir KAG_LIBRARY=$libdir/libkag.so.0 python3 -c '
import sys, kag
assert kag.__file__.startswith(sys.argv[1]), kag.__file__
with kag.Engine() as e:
    recs = list(e.judge_file(sys.argv[2]))
with kag.Engine() as e:
    made = e.judge_record({"verb": "create", "stage": "ResponseStarted",
                           "objectRef": {"resource": "pods", "subresource": "exec"},
                           "user": {"username": "alice"}, "responseStatus": {"code": 101}})
print(kag.library_version(), sum("error" in r for r in recs), sum("detector" in r for r in recs),
      kag.ACCELERATED, [r["detector"] for r in made] == ["interactive_access"])
' "$pydir" "$sample")
set -- $got
[ "$1" = "$version" ] && [ "$2" = 1 ] && [ "$3" -ge 3 ] && [ "$4" = True ] && [ "$5" = True ] ||
	fail "python3 -c 'import kag': $got"
echo "deb-test: ok python3 import kag (library $1, $3 verdicts, $2 error record, accelerator in use)"

# man pages and completion of every installed tool
n=0
for exe in "$root"/usr/bin/*; do
	tool=$(basename "$exe")
	page=$root/usr/share/man/man1/$tool.1.gz
	[ -f "$page" ] || fail "$tool has no man page"
	out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man -l $page"
	[ -z "$out" ] || fail "man -l $page: $out"
	MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q -- '--help' || fail "man -l $page: no --help"
	comp=$root/usr/share/bash-completion/completions/$tool
	[ -e "$comp" ] || fail "$tool has no bash completion"
	bash --norc -c 'source "$1" && complete -p "$2" >/dev/null' _ "$comp" "$tool" ||
		fail "$comp does not complete $tool"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n tools"
echo "deb-test: ok $n man pages (man -l) and bash completions"

# the example systemd units (shipped in kag-tools' examples)
units=$root/usr/share/doc/kag-tools/examples
[ -f "$units/kag-filter.service" ] || fail "no example units in $units"
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$work/units"
	for u in "$units"/*.service "$units"/*.socket; do
		# the tools from the root; a tool the packages do not have yet is
		# /bin/true, so that its unit's syntax is still checked
		sed -E "s#/usr/bin/(kag-[a-z]+)#$root/usr/bin/\\1#" "$u" > "$work/units/$(basename "$u")"
		for t in $(grep -oE "$root/usr/bin/kag-[a-z]+" "$work/units/$(basename "$u")" | sort -u); do
			[ -x "$t" ] || sed -i "s#$t#/bin/true#" "$work/units/$(basename "$u")"
		done
	done
	out=$(cd "$work/units" && systemd-analyze verify --man=no ./*.service ./*.socket 2>&1) ||
		{ echo "$out"; fail "systemd-analyze verify"; }
	[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify warns"; }
	echo "deb-test: ok systemd-analyze verify $(ls "$work/units" | tr '\n' ' ')"
else
	echo "deb-test: systemd-analyze not installed: units not verified (skipped)"
fi
echo "deb-test: all checks passed"

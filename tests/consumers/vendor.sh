#!/bin/sh
# Vendoring without meson: a copy of include/ and lib/ only, built with
# lib/Makefile into libkag.a, then examples/01-parse-event.c linked against
# it prints what the meson-built example prints on the sample.
#
#   vendor.sh SOURCE_ROOT REFERENCE_EXAMPLE SAMPLE -- CC [CC ARGS...]
#
# SPDX-License-Identifier: MIT
set -eu
src=$1 ref=$2 sample=$3
shift 4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kag-vendor-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cp -R "$src/include" "$src/lib" "$tmp/"
# the copy holds no build output and no generated file
for f in "$tmp"/lib/*.o "$tmp"/lib/libkag.a "$tmp"/lib/components.c; do
	if [ -e "$f" ]; then
		echo "FAIL: the source tree holds build output ($f)" >&2
		exit 1
	fi
done
env -u LD_PRELOAD make -C "$tmp/lib" -j2 CC="$*" >"$tmp/make.log" 2>&1 || {
	cat "$tmp/make.log"
	echo "FAIL: make -C lib" >&2
	exit 1
}
env -u LD_PRELOAD "$@" -std=c11 "$src/examples/01-parse-event.c" -I"$tmp/include" \
	"$tmp/lib/libkag.a" $(pkg-config --libs jansson zlib) -o "$tmp/parse-event"
"$tmp/parse-event" "$sample" >"$tmp/got" 2>&1 || true
"$ref" "$sample" >"$tmp/want" 2>&1 || true
if ! cmp -s "$tmp/got" "$tmp/want"; then
	diff "$tmp/want" "$tmp/got" | head -20
	echo "FAIL: the vendored build judges the sample differently" >&2
	exit 1
fi
echo "vendored build with lib/Makefile: $(wc -l <"$tmp/got") identical lines"

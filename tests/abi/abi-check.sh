#!/bin/sh
# ABI check against the committed baseline of the last release.
#   abi-check.sh BASELINE.abi LIBKAG.so HEADERS_DIR
# Fails on an incompatible change (abidiff bit 8) or a tool error (bits 1,2);
# prints compatible additions (bit 4) for the reviewer, who then adds them to a
# new node of lib/kag.sym and refreshes the baseline at release time:
#   abidw --drop-private-types --headers-dir include \
#         --out-file tests/abi/libkag.abi build/lib/libkag.so
# Skips (77) when abigail-tools is not installed.
set -u
baseline=$1 lib=$2 hdrs=$3
command -v abidw >/dev/null 2>&1 && command -v abidiff >/dev/null 2>&1 || {
	echo "abigail-tools (abidw, abidiff) not installed: skipped"
	exit 77
}
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
abidw --drop-private-types --headers-dir "$hdrs" \
	--out-file "$tmp" "$lib" || { echo "abidw failed"; exit 1; }
abidiff --drop-private-types "$baseline" "$tmp"
rc=$?
if [ $((rc & 3)) -ne 0 ]; then
	echo "abidiff failed to run (status $rc)"
	exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
	echo "INCOMPATIBLE ABI change against $baseline (status $rc)"
	exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
	echo "compatible ABI changes (additions) against $baseline: see above"
fi
echo "ABI compatible with $baseline"
exit 0

#!/bin/sh
# A downstream Go module that requires kag by its module path
# (kag.example/kag) and points a replace directive at the kag tree, as the
# Go README says: go vet and go build pass offline, and the program judges
# a record. Also go vet of the package itself.
#
#   gomod.sh GO KAG_GO_DIR CONSUMER_DIR
#
# SPDX-License-Identifier: MIT
set -eu
go=$1 kagdir=$2 consumer=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kag-gomod-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

(cd "$kagdir" && "$go" vet .)

cp "$consumer/main.go" "$tmp/"
cat > "$tmp/go.mod" <<EOM
module example.org/consumer

go 1.19

require kag.example/kag v0.0.0

replace kag.example/kag => $kagdir
EOM
cd "$tmp"
"$go" vet .
"$go" build -o consumer .
out=$(./consumer)
if [ "$out" != "interactive_access suspicious" ]; then
	echo "FAIL: the consumer printed '$out'" >&2
	exit 1
fi
echo "go module consumer: ok"

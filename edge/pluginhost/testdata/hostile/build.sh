#!/bin/sh
# Builds every hostile plugin (and the test plugins next door) into OUT
# (default ./out): the tests do this themselves through
# internal/wasmbuild, caching by source hash; this script is for poking at
# them by hand, e.g. with `kefu plugin test out/loop.wasm --input ...`.
set -eu
cd "$(dirname "$0")"
out=${1:-out}
mkdir -p "$out"
for d in */ ../plugins/*/; do
	[ -f "$d/main.go" ] || continue
	name=$(basename "$d")
	(cd "$d" && GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o "$OLDPWD/$out/$name.wasm" .)
	echo "built $out/$name.wasm"
done

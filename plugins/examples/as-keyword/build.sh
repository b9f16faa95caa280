#!/bin/sh
# Builds the AssemblyScript plugin with the `assemblyscript` compiler from
# npm (installed into ./node_modules from package-lock.json) and writes
# build/as-keyword.wasm, and a copy to plugins/dist/ when DIST=1.
#
# Used by `make plugins-as`; needs node and npm.
set -eu
cd "$(dirname "$0")"
if [ ! -x node_modules/.bin/asc ]; then
	if [ -f package-lock.json ]; then
		npm ci --no-audit --no-fund --loglevel=error
	else
		npm install --no-audit --no-fund --loglevel=error
	fi
fi
mkdir -p build
# --use abort= : no env.abort import (the ABI allows imports from "kefu" and
# "wasi_snapshot_preview1" only); an AssemblyScript abort traps instead.
node_modules/.bin/asc assembly/index.ts \
	--outFile build/as-keyword.wasm \
	--optimizeLevel 3 --shrinkLevel 1 \
	--runtime incremental \
	--use abort=
if [ "${DIST:-0}" = 1 ]; then
	cp build/as-keyword.wasm ../../dist/as-keyword.wasm
fi
echo "built $(pwd)/build/as-keyword.wasm ($(wc -c < build/as-keyword.wasm) bytes)"

#!/usr/bin/env bash
# Builds the release client package into pkg/ (wasm-pack --target web, wasm-opt -Oz) and
# prints the .wasm size raw and gzipped. With --with-ledger, also the reference ledger as
# a JS package into pkg-ledger/ (feature "ledger"; for the demo, the bench and the README
# example — never shipped to clients). Assumes scripts/install.sh has run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/.tools/node_modules/.bin:$PATH"
wasm-pack build --mode no-install --release --target web --out-dir pkg >&2
raw=$(wc -c < pkg/credit_meter_bg.wasm)
gz=$(gzip -9 -c pkg/credit_meter_bg.wasm | wc -c)
printf 'pkg/credit_meter_bg.wasm: %d bytes raw, %d bytes gzip -9\n' "$raw" "$gz"
if [ "${1:-}" = "--with-ledger" ]; then
  wasm-pack build --mode no-install --release --target web --out-dir pkg-ledger -- --features ledger >&2
fi

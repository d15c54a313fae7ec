#!/usr/bin/env bash
# Builds the release client package into pkg/ (crates/wasm-client: wasm-pack --target web,
# wasm-opt -Oz) and prints the .wasm size raw and gzipped. With --with-ledger, also the
# reference ledger as the JS package `credit-meter-ledger` into pkg-ledger/
# (crates/wasm-ledger; for the demo, the bench and the README example — never shipped to
# clients). Assumes scripts/install.sh has run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/.tools/node_modules/.bin:$PATH"
wasm-pack build crates/wasm-client --mode no-install --release --target web --out-dir "$ROOT/pkg" >&2
raw=$(wc -c < pkg/credit_meter_bg.wasm)
gz=$(gzip -9 -c pkg/credit_meter_bg.wasm | wc -c)
printf 'pkg/credit_meter_bg.wasm: %d bytes raw, %d bytes gzip -9\n' "$raw" "$gz"
if [ "${1:-}" = "--with-ledger" ]; then
  wasm-pack build crates/wasm-ledger --mode no-install --release --target web --out-dir "$ROOT/pkg-ledger" --out-name credit_meter >&2
  # The npm name of the reference ledger (the crate is credit-meter-ledger-wasm).
  node -e 'const f=process.argv[1],fs=require("fs"),p=JSON.parse(fs.readFileSync(f));p.name="credit-meter-ledger";fs.writeFileSync(f,JSON.stringify(p,null,2)+"\n")' pkg-ledger/package.json
fi

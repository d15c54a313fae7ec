#!/usr/bin/env bash
# Builds the release client package into pkg/ (crates/wasm-client: wasm-pack --target web,
# wasm-opt -Oz), then makes it the publishable npm package `credit-meter`
# (scripts/package/finish.mjs: the exports map — bundler/browser, Node ESM and CommonJS,
# ./web, ./inline, the typed .wasm —, package.json, README, licences), and prints the .wasm
# size raw and gzipped. With --with-ledger, also the reference ledger as the npm package
# `credit-meter-ledger` into pkg-ledger/ (crates/wasm-ledger; for the demo, the bench and the
# README example — never shipped to clients). Assumes scripts/install.sh has run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$ROOT/.tools/node_modules/.bin:$PATH"
wasm-pack build crates/wasm-client --mode no-install --release --target web --out-dir "$ROOT/pkg" >&2
node scripts/package/finish.mjs pkg credit-meter crates/wasm-client/npm/README.md \
  "Client-side metering of prepaid AI credits: cost estimates, BYOK-or-credits decisions, a signed local balance synced exactly once with a remote ledger."
raw=$(wc -c < pkg/credit_meter_bg.wasm)
gz=$(gzip -9 -c pkg/credit_meter_bg.wasm | wc -c)
printf 'pkg/credit_meter_bg.wasm: %d bytes raw, %d bytes gzip -9\n' "$raw" "$gz"
if [ "${1:-}" = "--with-ledger" ]; then
  wasm-pack build crates/wasm-ledger --mode no-install --release --target web --out-dir "$ROOT/pkg-ledger" --out-name credit_meter >&2
  node scripts/package/finish.mjs pkg-ledger credit-meter-ledger crates/wasm-ledger/npm/README.md \
    "The credit-meter reference ledger in JavaScript: ReferenceLedger and LedgerAccount, for demos and tests."
fi
